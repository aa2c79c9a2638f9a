import { describe, expect, it } from 'vitest';
import { chartColumns, summarizeUtilization, utilizationWindow } from './utilization';

const point = (at: string, allocatedGpus: number, capacityGpus = 40) => ({ at, allocatedGpus, capacityGpus });

describe('utilization', () => {
  it('should ask for 96 buckets over the last day and 168 over the last week, ending now', () => {
    const now = new Date('2026-03-10T12:00:00Z');
    expect(utilizationWindow('24h', now)).toEqual({ from: '2026-03-09T12:00:00.000Z', to: '2026-03-10T12:00:00.000Z', buckets: 96 });
    expect(utilizationWindow('7d', now)).toEqual({ from: '2026-03-03T12:00:00.000Z', to: '2026-03-10T12:00:00.000Z', buckets: 168 });
  });

  it('should sum up the window in words: average, peak, against the latest capacity', () => {
    const summary = summarizeUtilization([point('2026-03-10T10:00:00Z', 10, 32), point('2026-03-10T11:00:00Z', 15), point('2026-03-10T12:00:00Z', 5.25)]);
    expect(summary).toEqual({ averageAllocated: 10.1, peakAllocated: 15, capacity: 40, averagePercent: 25 });
  });

  it('should have nothing to say without points, and no share without capacity', () => {
    expect(summarizeUtilization([])).toBeNull();
    expect(summarizeUtilization([point('2026-03-10T10:00:00Z', 0, 0)])?.averagePercent).toBe(0);
  });

  it('should hand the chart Unix seconds and both series', () => {
    expect(chartColumns([point('2026-03-10T10:00:00Z', 3), point('2026-03-10T10:15:00Z', 4.5)])).toEqual([
      [1773136800, 1773137700],
      [3, 4.5],
      [40, 40],
    ]);
  });
});
