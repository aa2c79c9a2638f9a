import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { GPU_HOUR_SCALE, billingWeightOf, monthOf, remainingGpuHours, reservationFor, roundGpuHours, settle } from './quota-math.js';

describe('roundGpuHours', () => {
  it('should keep four decimal places', () => {
    expect(GPU_HOUR_SCALE).toBe(4);
    expect(roundGpuHours(1.23456)).toBe(1.2346);
    expect(roundGpuHours(1.23454)).toBe(1.2345);
    expect(roundGpuHours(0.00004)).toBe(0);
  });

  it('should leave whole and already rounded amounts unchanged', () => {
    expect(roundGpuHours(0)).toBe(0);
    expect(roundGpuHours(72)).toBe(72);
    expect(roundGpuHours(12.5)).toBe(12.5);
    expect(roundGpuHours(0.0001)).toBe(0.0001);
  });

  it('should remove binary floating-point noise', () => {
    expect(roundGpuHours(0.1 + 0.2)).toBe(0.3);
    expect(roundGpuHours(3 * 0.1)).toBe(0.3);
    expect(roundGpuHours(1 - 0.9)).toBe(0.1);
  });
});

describe('reservationFor', () => {
  it('should reserve gpuCount × hours', () => {
    expect(reservationFor(1, 1)).toBe(1);
    expect(reservationFor(4, 2.5)).toBe(10);
    expect(reservationFor(8, 72)).toBe(576);
  });

  it('should round the product to four decimals', () => {
    expect(reservationFor(3, 0.1)).toBe(0.3);
    expect(reservationFor(7, 0.1)).toBe(0.7);
    expect(reservationFor(3, 0.3333)).toBe(0.9999);
    expect(reservationFor(3, 1.00001)).toBe(3);
  });
});

describe('remainingGpuHours', () => {
  it('should be the limit minus what is used', () => {
    expect(remainingGpuHours(100, 0)).toBe(100);
    expect(remainingGpuHours(100, 37.5)).toBe(62.5);
    expect(remainingGpuHours(100, 100)).toBe(0);
  });

  it('should never be negative when use exceeds a lowered limit', () => {
    expect(remainingGpuHours(10, 25)).toBe(0);
    expect(remainingGpuHours(0, 0.0001)).toBe(0);
    expect(Object.is(remainingGpuHours(1, 1.00004), 0)).toBe(true);
  });

  it('should not leave floating-point noise', () => {
    expect(remainingGpuHours(1, 0.9)).toBe(0.1);
    expect(remainingGpuHours(0.3, 0.1 + 0.2)).toBe(0);
    expect(remainingGpuHours(1, 3 * 0.1)).toBe(0.7);
  });
});

describe('settle', () => {
  it('should refund the whole reservation of a job that never ran', () => {
    expect(settle(16, 4, 0)).toEqual({ charged: 0, refund: 16 });
  });

  it('should treat negative hours run as none', () => {
    expect(settle(16, 4, -1)).toEqual({ charged: 0, refund: 16 });
  });

  it('should charge gpuCount × hours run and refund the rest', () => {
    expect(settle(16, 4, 1.5)).toEqual({ charged: 6, refund: 10 });
  });

  it('should charge the whole reservation of a job that ran its full time', () => {
    expect(settle(16, 4, 4)).toEqual({ charged: 16, refund: 0 });
  });

  it('should cap the charge at the reservation', () => {
    expect(settle(16, 4, 5)).toEqual({ charged: 16, refund: 0 });
    expect(settle(0.3, 3, 0.1000001)).toEqual({ charged: 0.3, refund: 0 });
  });

  it('should charge and refund exactly in floating-point corner cases', () => {
    expect(settle(0.3, 3, 0.1)).toEqual({ charged: 0.3, refund: 0 });
    expect(settle(1, 3, 0.1)).toEqual({ charged: 0.3, refund: 0.7 });
    expect(settle(reservationFor(3, 0.7), 3, 0.1)).toEqual({ charged: 0.3, refund: 1.8 });
  });

  it('should always charge plus refund the reservation', () => {
    for (const [gpuHours, gpuCount, hoursRun] of [
      [0.3, 3, 0.1],
      [576, 8, 71.9999],
      [10, 7, 0.3333],
      [1.2345, 1, 0.61725],
    ] as const) {
      const { charged, refund } = settle(gpuHours, gpuCount, hoursRun);
      expect(roundGpuHours(charged + refund), `${gpuHours} ${gpuCount} ${hoursRun}`).toBe(gpuHours);
      expect(charged).toBeGreaterThanOrEqual(0);
      expect(refund).toBeGreaterThanOrEqual(0);
      expect(roundGpuHours(charged)).toBe(charged);
      expect(roundGpuHours(refund)).toBe(refund);
    }
  });
});

describe('billing weights', () => {
  it('should multiply the reservation by the weight', () => {
    expect(reservationFor(4, 2.5, 2)).toBe(20);
    expect(reservationFor(2, 3, 0.5)).toBe(3);
    expect(reservationFor(3, 0.3333, 1)).toBe(reservationFor(3, 0.3333));
  });

  it('should charge the weighted hours run, capped at the weighted reservation', () => {
    expect(settle(reservationFor(4, 4, 2), 4, 1.5, 2)).toEqual({ charged: 12, refund: 20 });
    expect(settle(reservationFor(4, 4, 2), 4, 9, 2)).toEqual({ charged: 32, refund: 0 });
    expect(settle(reservationFor(2, 4, 0.5), 2, 0, 0.5)).toEqual({ charged: 0, refund: 4 });
  });

  it('should find a type without case and weigh an unnamed type 1', () => {
    const weights = [{ gpuType: 'H100', weight: 2 }, { gpuType: 'L40S', weight: 0.5 }];
    expect(billingWeightOf(weights, 'h100')).toBe(2);
    expect(billingWeightOf(weights, 'L40S')).toBe(0.5);
    expect(billingWeightOf(weights, 'A100')).toBe(1);
    expect(billingWeightOf([], 'A100')).toBe(1);
  });

  it('should always settle a weighted reservation into charge plus refund, neither negative', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 64 }),
        fc.integer({ min: 1, max: 720_000 }).map((n) => n / 10_000),
        fc.integer({ min: 1, max: 100_000 }).map((n) => n / 10_000),
        fc.double({ min: -1, max: 200, noNaN: true }),
        (gpuCount, hours, weight, hoursRun) => {
          const reserved = reservationFor(gpuCount, hours, weight);
          const { charged, refund } = settle(reserved, gpuCount, hoursRun, weight);
          expect(roundGpuHours(charged + refund)).toBe(reserved);
          expect(charged).toBeGreaterThanOrEqual(0);
          expect(refund).toBeGreaterThanOrEqual(0);
          expect(charged).toBeLessThanOrEqual(reserved);
        },
      ),
    );
  });
});

describe('monthOf', () => {
  it('should give the UTC calendar month as YYYY-MM', () => {
    expect(monthOf(new Date('2026-03-15T12:00:00Z'))).toBe('2026-03');
    expect(monthOf(new Date('2026-12-01T00:00:00.000Z'))).toBe('2026-12');
  });

  it('should put the last millisecond of a month in that month', () => {
    expect(monthOf(new Date('2026-01-31T23:59:59.999Z'))).toBe('2026-01');
    expect(monthOf(new Date('2026-02-01T00:00:00.000Z'))).toBe('2026-02');
    expect(monthOf(new Date('2026-12-31T23:59:59.999Z'))).toBe('2026-12');
    expect(monthOf(new Date('2027-01-01T00:00:00.000Z'))).toBe('2027-01');
  });

  it('should use UTC, not the offset a date was written with', () => {
    // 00:30 on 1 February in Paris is still 31 January in UTC.
    expect(monthOf(new Date('2026-02-01T00:30:00+01:00'))).toBe('2026-01');
    // 20:00 on 31 January in New York is already 1 February in UTC.
    expect(monthOf(new Date('2026-01-31T20:00:00-05:00'))).toBe('2026-02');
  });
});
