import { describe, expect, it } from 'vitest';
import { JobCountCache } from './job-count-cache.js';

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('JobCountCache', () => {
  it('should always count small lists afresh', async () => {
    const cache = new JobCountCache(100, 1000, () => 0);
    let calls = 0;
    const count = async () => ++calls;
    expect(await cache.get('k', count)).toBe(1);
    expect(await cache.get('k', count)).toBe(2);
  });

  it('should reuse a large count while fresh, then refresh it in the background', async () => {
    let clock = 0;
    const cache = new JobCountCache(100, 1000, () => clock);
    let value = 500;
    let calls = 0;
    const count = async () => (calls++, value);
    expect(await cache.get('k', count)).toBe(500);
    value = 600;
    clock = 999;
    expect(await cache.get('k', count)).toBe(500);
    expect(calls).toBe(1);
    clock = 1000;
    // Served stale while one refresh runs, however many ask at once.
    expect(await Promise.all([cache.get('k', count), cache.get('k', count)])).toEqual([500, 500]);
    await settle();
    expect(calls).toBe(2);
    expect(await cache.get('k', count)).toBe(600);
  });

  it('should keep counts of different lists apart', async () => {
    const cache = new JobCountCache(100, 1000, () => 0);
    expect(await cache.get('a', async () => 500)).toBe(500);
    expect(await cache.get('b', async () => 700)).toBe(700);
  });

  it('should count exactly again once the list shrank below the threshold', async () => {
    let clock = 0;
    const cache = new JobCountCache(100, 1000, () => clock);
    await cache.get('k', async () => 500);
    clock = 2000;
    await cache.get('k', async () => 5);
    await settle();
    expect(await cache.get('k', async () => 6)).toBe(6);
  });

  it('should keep only large counts a caller recorded, and hand them back while fresh', () => {
    const cache = new JobCountCache(100, 1000, () => 0);
    const count = async () => 0;
    cache.record('small', 5);
    cache.record('large', 500);
    expect(cache.peek('small', count)).toBeUndefined();
    expect(cache.peek('large', count)).toBe(500);
  });

  it('should hand back an old recorded count once more while one refresh runs', async () => {
    let clock = 0;
    const cache = new JobCountCache(100, 1000, () => clock);
    let calls = 0;
    const count = async () => (calls++, 700);
    cache.record('k', 500);
    clock = 1000;
    expect([cache.peek('k', count), cache.peek('k', count)]).toEqual([500, 500]);
    await settle();
    expect(calls).toBe(1);
    expect(cache.peek('k', count)).toBe(700);
  });
});
