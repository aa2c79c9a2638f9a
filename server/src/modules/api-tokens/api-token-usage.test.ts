import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ApiTokenUsage } from './api-token-usage.js';

describe('ApiTokenUsage', () => {
  it('should write a token at its first use and then at most once a minute, whatever the request rate', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 10_000 }), { minLength: 1, maxLength: 300 }), (gaps) => {
        const writes: number[] = [];
        let now = 0;
        const usage = new ApiTokenUsage(async () => void writes.push(now), () => {});
        for (const gap of gaps) {
          now += gap;
          usage.used('t1', now);
        }
        expect(usage.requests).toBe(gaps.length);
        expect(writes[0]).toBe(gaps[0]);
        for (let i = 1; i < writes.length; i++) expect(writes[i]! - writes[i - 1]!).toBeGreaterThanOrEqual(60_000);
        // And never lags more than a minute behind: the last use is at most a minute after the last write.
        expect(now - writes.at(-1)!).toBeLessThan(60_000 + 10_001);
      }),
    );
  });

  it('should throttle each token on its own', () => {
    const writes: string[] = [];
    const usage = new ApiTokenUsage(async (id) => void writes.push(id), () => {});
    usage.used('a', 0);
    usage.used('b', 1);
    usage.used('a', 2);
    usage.used('b', 60_001);
    expect(writes).toEqual(['a', 'b', 'b']);
  });

  it('should report a failed write and never throw to the request', async () => {
    const errors: unknown[] = [];
    const usage = new ApiTokenUsage(() => Promise.reject(new Error('db down')), (e) => errors.push(e));
    expect(() => usage.used('a', 0)).not.toThrow();
    await new Promise((resolve) => setImmediate(resolve));
    expect(errors).toHaveLength(1);
  });
});
