import { describe, expect, it } from 'vitest';
import { MIN_OWNER_SAMPLES, fairShares, monthStart, planBasis, runTimeModel, runningEnds } from './plan-input.js';
import type { OwnerRow, SchedulerSnapshot } from './scheduler.queries.js';
import { SchedulingMode } from './scheduler-settings.js';

const NOW = Date.UTC(2026, 11, 6, 12);
const SECONDS_PER_HOUR = 10;
const HOUR = SECONDS_PER_HOUR * 1000;

function owner(id: string, fields: Partial<OwnerRow> = {}): OwnerRow {
  return { id, lim: null, charged: '0', running: '0', shares: [], ...fields };
}

/** `n` finished jobs' shares, all `share`. */
const alike = (share: number, n: number) => new Array<number>(n).fill(share);

describe('likely shares of the time limit', () => {
  it("should use the owner's median when they finished enough jobs, else everyone's", () => {
    const model = runTimeModel({
      owners: [owner('seasoned', { shares: alike(0.3, MIN_OWNER_SAMPLES) }), owner('new', { shares: alike(0.9, MIN_OWNER_SAMPLES - 1) })],
      everyone: { shares: [0.2, 0.6, 0.9] },
    });
    expect(model.share('seasoned')).toBe(0.3);
    expect(model.share('new')).toBe(0.6);
    expect(model.share('stranger')).toBe(0.6);
    expect(runTimeModel({ owners: [], everyone: { shares: [0.2, 0.4, 0.6, 0.9] } }).share('anyone')).toBeCloseTo(0.5);
  });

  it('should expect the whole limit with no history, and never less than a twentieth of it', () => {
    const none = runTimeModel({ owners: [], everyone: { shares: [] } });
    expect(none.share('anyone')).toBe(1);
    expect(none.shareBeyond('anyone', 0.7)).toBe(1);
    const tiny = runTimeModel({ owners: [owner('fast', { shares: alike(0.001, 10) })], everyone: { shares: alike(0.002, 10) } });
    expect(tiny.share('fast')).toBe(0.05);
    expect(tiny.share('other')).toBe(0.05);
  });

  it('should expect a running job to use the median of the shares longer than what it has used so far', () => {
    const model = runTimeModel({ owners: [], everyone: { shares: [0.1, 0.2, 0.5, 0.6, 0.7, 0.8, 1] } });
    expect(model.shareBeyond('anyone', 0)).toBe(0.6);
    // Past the short runs, only the longer ones say how long it goes on.
    expect(model.shareBeyond('anyone', 0.3)).toBe(0.7);
    expect(model.shareBeyond('anyone', 0.7)).toBe(0.9);
    // A job that has run longer than any finished one has no history left to go by.
    expect(runTimeModel({ owners: [], everyone: { shares: [0.2, 0.5] } }).shareBeyond('anyone', 0.6)).toBeNull();
  });
});

describe('fair share', () => {
  it('should divide the GPU-hours charged and running this month by the limit, the default when none', () => {
    const share = fairShares(
      [owner('a', { lim: '100', charged: '20', running: '5' }), owner('b', { charged: '10' }), owner('zero', { lim: '0', charged: '0' })],
      50,
    );
    expect(share('a')).toBeCloseTo(0.25);
    expect(share('b')).toBeCloseTo(0.2);
    // A limit of 0 sorts last.
    expect(share('zero')).toBe(Number.MAX_VALUE);
    expect(share('unknown')).toBe(0);
  });
});

describe("a running job's ends", () => {
  const clock = { now: NOW, secondsPerHour: SECONDS_PER_HOUR };

  it('should end by its limit: the hours left on the simulated clock, counting the time since its last step', () => {
    const ends = runningEnds({ hours: 4, hoursDone: 1, advancedAt: NOW - HOUR }, () => 1, clock);
    expect(ends.endBy).toBe(NOW + 2 * HOUR);
    expect(ends.likelyEnd).toBe(NOW + 2 * HOUR);
  });

  it('should likely end at its limit × the share of runs as long as it has been, and past them all after half of what it has left', () => {
    const done: number[] = [];
    const beyond = (share: number | null) => (d: number) => (done.push(d), share);
    expect(runningEnds({ hours: 4, hoursDone: 1, advancedAt: NOW }, beyond(0.5), clock).likelyEnd).toBe(NOW + HOUR);
    // It is asked with the share of its limit done so far.
    expect(done).toEqual([0.25]);
    const late = runningEnds({ hours: 4, hoursDone: 3, advancedAt: NOW }, beyond(null), clock);
    expect(late.endBy).toBe(NOW + HOUR);
    expect(late.likelyEnd).toBe(NOW + HOUR / 2);
  });
});

describe('the planner input of a snapshot', () => {
  const snapshot: SchedulerSnapshot = {
    nodes: [{ id: 'n1', name: 'gpu-1', gpu_type: 'H100', gpu_count: 8, state: 'UP' }],
    running: [
      {
        id: 'r1', owner_id: 'u1', gpu_type: 'H100', gpu_count: 4, hours: '2', billing_weight: '1', started_at: new Date(NOW - HOUR),
        hours_done: '1', advanced_at: new Date(NOW), node_id: 'n1',
      },
    ],
    waiting: [
      {
        id: 'w1', owner_id: 'u1', gpu_type: 'H100', gpu_count: 8, hours: '3', billing_weight: '2', status: 'APPROVED' as never, priority: 2,
        approved_at: new Date(NOW - 1000), created_at: new Date(NOW - 2000),
      },
    ],
    owners: [owner('u1', { lim: '10', charged: '4', running: '1', shares: [0.3, 0.4, 0.5, 0.9, 1] }), owner('u2', { lim: null, charged: '0', running: '0' })],
    everyone: { shares: alike(0.8, 30) },
    settings: JSON.stringify({ mode: 'AUTO', autoApproveMaxGpuHours: 2, backfill: false }),
  };
  const fallback = { mode: SchedulingMode.MANUAL, autoApproveMaxGpuHours: 0, backfill: true };

  it('should turn hours into real milliseconds, with the stored settings and each owner’s share', () => {
    const basis = planBasis(snapshot, { now: NOW, secondsPerHour: SECONDS_PER_HOUR, defaultMonthlyGpuHours: 100 }, fallback);
    expect(basis.settings).toEqual({ mode: SchedulingMode.AUTO, autoApproveMaxGpuHours: 2, backfill: false });
    expect(basis.input.backfill).toBe(false);
    expect(basis.input.nodes).toEqual([{ id: 'n1', name: 'gpu-1', gpuType: 'H100', gpuCount: 8, state: 'UP' }]);
    expect(basis.input.running).toEqual([{ id: 'r1', nodeId: 'n1', gpuCount: 4, ownerId: 'u1', weight: 1, endBy: NOW + HOUR, likelyEnd: expect.any(Number) }]);
    // Half its limit done: u1's runs that went past half used 0.9 and 1 of theirs, so 1.9 of its 2 h in all.
    expect(basis.input.running[0]!.likelyEnd).toBeCloseTo(NOW + 0.9 * HOUR);
    expect(basis.waiting.get('w1')).toMatchObject({
      gpuCount: 8, priority: 2, fairShare: 0.5, limitMs: 3 * HOUR, likelyMs: 1.5 * HOUR, hours: 3, approvedAt: NOW - 1000, weight: 2,
    });
    // The likely run's moving fair share: each owner's GPU-hours so far and limit (the default when unset).
    expect(basis.input.forecast).toEqual({
      msPerHour: HOUR, owners: new Map([['u1', { used: 5, limit: 10 }], ['u2', { used: 0, limit: 100 }]]),
    });
  });

  it('should fall back to the configured settings when none are stored or they cannot be read', () => {
    const clock = { now: NOW, secondsPerHour: SECONDS_PER_HOUR, defaultMonthlyGpuHours: 100 };
    expect(planBasis({ ...snapshot, settings: null }, clock, fallback).settings).toEqual(fallback);
    expect(planBasis({ ...snapshot, settings: '{not json' }, clock, fallback).settings).toEqual(fallback);
    expect(planBasis({ ...snapshot, settings: '{"mode":"SOMETIMES","backfill":"yes"}' }, clock, fallback).settings).toEqual(fallback);
  });
});

describe('monthStart', () => {
  it('should be the first instant of the UTC month', () => {
    expect(monthStart(new Date('2026-12-06T12:34:56Z')).toISOString()).toBe('2026-12-01T00:00:00.000Z');
  });
});
