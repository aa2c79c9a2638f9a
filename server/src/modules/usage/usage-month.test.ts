import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkMonth, fillMonths, isMonth, lastMonths } from './usage-month.js';

describe('isMonth', () => {
  it('should accept YYYY-MM and nothing else', () => {
    expect(isMonth('2026-12')).toBe(true);
    expect(isMonth('2026-01')).toBe(true);
    for (const bad of ['2026-13', '2026-00', '2026-1', '26-01', '2026/01', '2026-01-01', '', 'december', '1969-12', ' 2026-01x']) {
      expect(isMonth(bad), bad).toBe(false);
    }
  });
});

describe('checkMonth', () => {
  it('should fail with BAD_USER_INPUT naming the field', () => {
    expect(() => checkMonth('2026-13')).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT', details: { field: 'month' } }));
    expect(checkMonth(' 2026-02 ')).toBe('2026-02');
  });
});

describe('lastMonths', () => {
  it('should list the months up to now, oldest first, across a year end', () => {
    expect(lastMonths(new Date('2026-02-10T00:00:00Z'), 4)).toEqual(['2025-11', '2025-12', '2026-01', '2026-02']);
    expect(lastMonths(new Date('2026-12-31T23:59:59.999Z'), 1)).toEqual(['2026-12']);
  });

  it('should always give count distinct consecutive months ending with the current one', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date('1981-01-01T00:00:00Z'), max: new Date('9000-01-01T00:00:00Z'), noInvalidDate: true }), fc.integer({ min: 1, max: 120 }), (now, count) => {
        const months = lastMonths(now, count);
        expect(months).toHaveLength(count);
        expect(months.at(-1)).toBe(now.toISOString().slice(0, 7));
        expect([...months].sort()).toEqual(months);
        expect(new Set(months).size).toBe(count);
        expect(months.every(isMonth)).toBe(true);
      }),
    );
  });
});

describe('fillMonths', () => {
  it('should fill months without jobs with zeros', () => {
    const found = [{ month: '2026-02', jobs: 2, reservedGpuHours: 3, chargedGpuHours: 1, refundedGpuHours: 2 }];
    expect(fillMonths(['2026-01', '2026-02'], found)).toEqual([
      { month: '2026-01', jobs: 0, reservedGpuHours: 0, chargedGpuHours: 0, refundedGpuHours: 0 },
      found[0],
    ]);
  });
});
