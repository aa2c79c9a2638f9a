import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GIVE_UP_AFTER_SECONDS, nextAttemptAt, retryDelaySeconds } from './retry-schedule.js';

describe('retryDelaySeconds', () => {
  it('should wait 10 s, 20 s, 40 s … with the default base', () => {
    expect([1, 2, 3, 4, 5].map((n) => retryDelaySeconds(n, 10))).toEqual([10, 20, 40, 80, 160]);
  });

  it('should double from one retry to the next, starting at the base, for any base', () => {
    fc.assert(
      fc.property(fc.double({ min: 0.01, max: 86_400, noNaN: true }), fc.integer({ min: 1, max: 60 }), (base, attempt) => {
        expect(retryDelaySeconds(1, base)).toBe(base);
        expect(retryDelaySeconds(attempt + 1, base)).toBeCloseTo(2 * retryDelaySeconds(attempt, base), 6);
      }),
    );
  });

  it('should refuse attempt numbers that are not positive integers', () => {
    expect(() => retryDelaySeconds(0, 10)).toThrow(RangeError);
    expect(() => retryDelaySeconds(1.5, 10)).toThrow(RangeError);
  });
});

describe('nextAttemptAt', () => {
  it('should never schedule a retry past 24 hours after the delivery was written, and always give up eventually', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.01, max: 3600, noNaN: true }),
        fc.integer({ min: 0, max: 2_000_000_000_000 }),
        (base, created) => {
          const createdAt = new Date(created);
          let now = createdAt;
          let attempts = 0;
          for (;;) {
            attempts += 1;
            const next = nextAttemptAt(attempts, createdAt, now, base);
            if (next === null) break;
            expect(next.getTime()).toBeLessThanOrEqual(created + GIVE_UP_AFTER_SECONDS * 1000);
            // A Date holds whole milliseconds.
            expect(Math.abs(next.getTime() - now.getTime() - retryDelaySeconds(attempts, base) * 1000)).toBeLessThanOrEqual(1);
            now = next;
            expect(attempts).toBeLessThan(64);
          }
          // Giving up means the next wait would have gone past the window.
          expect(now.getTime() + retryDelaySeconds(attempts, base) * 1000).toBeGreaterThan(created + GIVE_UP_AFTER_SECONDS * 1000 - 1);
        },
      ),
    );
  });

  it('should give up with the default base after the retries that fit in a day', () => {
    const createdAt = new Date('2026-12-01T00:00:00Z');
    let now = createdAt;
    const waits: number[] = [];
    for (let attempts = 1; ; attempts++) {
      const next = nextAttemptAt(attempts, createdAt, now, 10);
      if (next === null) break;
      waits.push((next.getTime() - now.getTime()) / 1000);
      now = next;
    }
    // 10 + 20 + … + 10·2^12 = 81,910 s fits in 86,400 s; one more wait of 81,920 s would not.
    expect(waits).toEqual([10, 20, 40, 80, 160, 320, 640, 1280, 2560, 5120, 10240, 20480, 40960]);
  });
});
