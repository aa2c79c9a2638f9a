import { describe, expect, it } from 'vitest';
import { JobCountCache } from './job-count-cache.js';

describe('JobCountCache', () => {
  it('should always count small lists afresh', async () => {
    const cache = new JobCountCache(100, 1000, () => 0);
    let calls = 0;
    const count = async () => ++calls;
    expect(await cache.get('k', count)).toBe(1);
    expect(await cache.get('k', count)).toBe(2);
  });

  it('should reuse a large count until it is older than the time to live', async () => {
    let clock = 0;
    const cache = new JobCountCache(100, 1000, () => clock);
    let value = 500;
    const count = async () => value;
    expect(await cache.get('k', count)).toBe(500);
    value = 600;
    clock = 999;
    expect(await cache.get('k', count)).toBe(500);
    clock = 1000;
    expect(await cache.get('k', count)).toBe(600);
  });

  it('should keep counts of different lists apart', async () => {
    const cache = new JobCountCache(100, 1000, () => 0);
    expect(await cache.get('a', async () => 500)).toBe(500);
    expect(await cache.get('b', async () => 700)).toBe(700);
  });

  it('should forget a large count once the list shrank below the threshold', async () => {
    let clock = 0;
    const cache = new JobCountCache(100, 1000, () => clock);
    await cache.get('k', async () => 500);
    clock = 2000;
    expect(await cache.get('k', async () => 5)).toBe(5);
    clock = 2001;
    expect(await cache.get('k', async () => 6)).toBe(6);
  });
});
