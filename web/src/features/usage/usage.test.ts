import { describe, expect, it } from 'vitest';
import { currentMonth, historyBars, shiftMonth, stackTops, usageBars, usageTotals, usedGpuHours, type UsageRow } from './usage';

const row = (email: string, gpuType: string, reserved: number, refunded: number, charged = 0): UsageRow => ({
  user: { id: `id-${email}`, email },
  gpuType,
  jobs: 1,
  reservedGpuHours: reserved,
  chargedGpuHours: charged,
  refundedGpuHours: refunded,
  completed: 0,
  failed: 0,
  cancelled: 0,
  rejected: 0,
});

describe('usage', () => {
  it('should count what a row holds against the quota: reserved less refunded', () => {
    expect(usedGpuHours(row('a@x.org', 'A100', 10, 2.5))).toBe(7.5);
    expect(usedGpuHours(row('a@x.org', 'A100', 0.3, 0.1))).toBe(0.2);
  });

  it('should total a month over users and types', () => {
    expect(usageTotals([row('a@x.org', 'A100', 10, 2, 8), row('a@x.org', 'H100', 4, 4), row('b@x.org', 'A100', 1, 0)])).toEqual({
      users: 2,
      jobs: 3,
      reservedGpuHours: 15,
      chargedGpuHours: 8,
      refundedGpuHours: 6,
    });
  });

  it('should make a bar per user with a part per GPU type, zero where a user has none', () => {
    const bars = usageBars([row('b@x.org', 'H100', 4, 1), row('a@x.org', 'A100', 10, 2), row('a@x.org', 'H100', 2, 0)]);
    expect(bars).toEqual({
      labels: ['a@x.org', 'b@x.org'],
      series: [
        { name: 'A100', values: [8, 0] },
        { name: 'H100', values: [2, 3] },
      ],
    });
    expect(stackTops(bars)).toEqual([
      [8, 0],
      [10, 3],
    ]);
  });

  it('should split each month into charged and still open', () => {
    const bars = historyBars([
      { month: '2026-11', jobs: 2, reservedGpuHours: 10, chargedGpuHours: 6, refundedGpuHours: 4 },
      { month: '2026-12', jobs: 1, reservedGpuHours: 5, chargedGpuHours: 0, refundedGpuHours: 0 },
    ]);
    expect(bars.series).toEqual([
      { name: 'charged', values: [6, 0] },
      { name: 'open', values: [0, 5] },
    ]);
  });

  it('should step months across a year end', () => {
    expect(shiftMonth('2026-01', -1)).toBe('2025-12');
    expect(shiftMonth('2026-12', 1)).toBe('2027-01');
    expect(currentMonth(new Date('2026-12-31T23:00:00Z'))).toBe('2026-12');
  });
});
