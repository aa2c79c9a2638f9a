import { describe, expect, it } from 'vitest';
import { MIN_OWNER_SAMPLES, fairShares, likelyShares, monthStart, planBasis, runningEnds } from './plan-input.js';
import type { OwnerRow, SchedulerSnapshot } from './scheduler.queries.js';
import { SchedulingMode } from './scheduler-settings.js';

const NOW = Date.UTC(2026, 11, 6, 12);
const SECONDS_PER_HOUR = 10;
const HOUR = SECONDS_PER_HOUR * 1000;

function owner(id: string, fields: Partial<OwnerRow> = {}): OwnerRow {
  return { id, lim: null, charged: '0', running: '0', share: null, samples: 0, ...fields };
}

describe('likely shares of the time limit', () => {
  it("should use the owner's median when they finished enough jobs, else everyone's", () => {
    const share = likelyShares({
      owners: [owner('seasoned', { share: 0.3, samples: MIN_OWNER_SAMPLES }), owner('new', { share: 0.9, samples: MIN_OWNER_SAMPLES - 1 })],
      everyone: { share: 0.6, samples: 40 },
    });
    expect(share('seasoned')).toBe(0.3);
    expect(share('new')).toBe(0.6);
    expect(share('stranger')).toBe(0.6);
  });

  it('should expect the whole limit with no history, and never less than a twentieth of it', () => {
    expect(likelyShares({ owners: [], everyone: { share: null, samples: 0 } })('anyone')).toBe(1);
    const tiny = likelyShares({ owners: [owner('fast', { share: 0.001, samples: 10 })], everyone: { share: 0.002, samples: 10 } });
    expect(tiny('fast')).toBe(0.05);
    expect(tiny('other')).toBe(0.05);
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
    const ends = runningEnds({ hours: 4, hoursDone: 1, advancedAt: NOW - HOUR }, 1, clock);
    expect(ends.endBy).toBe(NOW + 2 * HOUR);
    expect(ends.likelyEnd).toBe(NOW + 2 * HOUR);
  });

  it('should likely end at its limit × share, and a job past that after half of what it has left', () => {
    expect(runningEnds({ hours: 4, hoursDone: 1, advancedAt: NOW }, 0.5, clock).likelyEnd).toBe(NOW + HOUR);
    const late = runningEnds({ hours: 4, hoursDone: 3, advancedAt: NOW }, 0.5, clock);
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
    owners: [owner('u1', { lim: '10', charged: '4', running: '1', share: 0.5, samples: 5 }), owner('u2', { lim: null, charged: '0', running: '0' })],
    everyone: { share: 0.8, samples: 30 },
    settings: JSON.stringify({ mode: 'AUTO', autoApproveMaxGpuHours: 2, backfill: false }),
  };
  const fallback = { mode: SchedulingMode.MANUAL, autoApproveMaxGpuHours: 0, backfill: true };

  it('should turn hours into real milliseconds, with the stored settings and each owner’s share', () => {
    const basis = planBasis(snapshot, { now: NOW, secondsPerHour: SECONDS_PER_HOUR, defaultMonthlyGpuHours: 100 }, fallback);
    expect(basis.settings).toEqual({ mode: SchedulingMode.AUTO, autoApproveMaxGpuHours: 2, backfill: false });
    expect(basis.input.backfill).toBe(false);
    expect(basis.input.nodes).toEqual([{ id: 'n1', name: 'gpu-1', gpuType: 'H100', gpuCount: 8, state: 'UP' }]);
    expect(basis.input.running).toEqual([{ id: 'r1', nodeId: 'n1', gpuCount: 4, ownerId: 'u1', weight: 1, endBy: NOW + HOUR, likelyEnd: NOW + HOUR / 2 }]);
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
