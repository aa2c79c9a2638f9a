import { describe, expect, it } from 'vitest';
import { createLogger } from '../../logger.js';
import { PlanCache } from './plan-cache.js';
import type { PlanBasis } from './plan-input.js';
import type { PlanWaiting } from './planner.js';
import { SchedulingMode } from './scheduler-settings.js';

const HOUR = 10_000;

/** A cluster of one 4-GPU node per type, and the approved jobs `jobs` lists. */
function basisOf(jobs: { id: string; gpuType: string; gpuCount: number }[], now = Date.now()): PlanBasis {
  const waiting = new Map<string, PlanWaiting & { hours: number }>(
    jobs.map((j, i) => [
      j.id,
      {
        ...j, ownerId: 'u', status: 'APPROVED', priority: 0, fairShare: 0, approvedAt: now - 1000 + i, createdAt: now - 2000,
        limitMs: HOUR, likelyMs: HOUR, hours: 1,
      },
    ]),
  );
  return {
    input: {
      now,
      nodes: ['A100', 'H100'].map((t) => ({ id: t, name: t, gpuType: t, gpuCount: 4, state: 'UP' as const })),
      running: [{ id: 'r', nodeId: 'A100', gpuCount: 4, endBy: now + HOUR, likelyEnd: now + HOUR }],
      waiting: [...waiting.values()],
      backfill: true,
    },
    settings: { mode: SchedulingMode.MANUAL, autoApproveMaxGpuHours: 0, backfill: true },
    waiting,
  };
}

function cacheOver(jobs: { id: string; gpuType: string; gpuCount: number }[], maxAgeMs = 60_000) {
  const reads = { n: 0 };
  const cache = new PlanCache(
    async () => {
      reads.n += 1;
      return basisOf(jobs);
    },
    createLogger('silent'),
    maxAgeMs,
    () => {},
    5,
  );
  return { cache, reads };
}

describe('the shared plan', () => {
  it('should plan once for any number of readers until something changes', async () => {
    const { cache, reads } = cacheOver([{ id: 'a', gpuType: 'A100', gpuCount: 2 }]);
    const views = await Promise.all([cache.current(), cache.current(), cache.current()]);
    expect(reads.n).toBe(1);
    expect(new Set(views).size).toBe(1);
    await cache.current();
    expect(reads.n).toBe(1);
    cache.invalidate();
    const next = await cache.current();
    expect(reads.n).toBe(2);
    expect(next.version).toBe(1);
    expect(next.plan.jobs.get('a')!.position).toBe(1);
    await cache.stop();
  });

  it('should plan again once the plan is older than its maximum age', async () => {
    const { cache, reads } = cacheOver([], 20);
    await cache.current();
    await new Promise((r) => setTimeout(r, 40));
    await cache.current();
    expect(reads.n).toBe(2);
    await cache.stop();
  });

  it('should tell subscribers which GPU types’ queues changed, and nothing when none did', async () => {
    const jobs = [{ id: 'a', gpuType: 'A100', gpuCount: 2 }];
    const { cache } = cacheOver(jobs);
    const sub = cache.subscribe();
    expect(cache.size).toBe(1);
    await cache.current();
    // An H100 job joins: only H100's queue looks different.
    jobs.push({ id: 'h', gpuType: 'H100', gpuCount: 8 });
    cache.invalidate();
    const change = await sub.next();
    expect(change.value!.gpuTypes).toEqual(['H100']);
    // Nothing changed: no message (the next one is about A100).
    cache.invalidate();
    await cache.refresh();
    jobs.push({ id: 'a2', gpuType: 'A100', gpuCount: 1 });
    cache.invalidate();
    expect((await sub.next()).value!.gpuTypes).toEqual(['A100']);
    await sub.return!();
    expect(cache.size).toBe(0);
    await cache.stop();
  });

  it('should merge changes a slow subscriber has not read yet, and end subscriptions on stop', async () => {
    const jobs = [{ id: 'a', gpuType: 'A100', gpuCount: 2 }];
    const { cache } = cacheOver(jobs);
    const sub = cache.subscribe();
    await cache.current();
    jobs.push({ id: 'h', gpuType: 'H100', gpuCount: 1 });
    cache.invalidate();
    await cache.refresh();
    jobs.push({ id: 'a2', gpuType: 'A100', gpuCount: 1 });
    cache.invalidate();
    await cache.refresh();
    expect((await sub.next()).value!.gpuTypes.sort()).toEqual(['A100', 'H100']);
    const pending = sub.next();
    await cache.stop();
    expect((await pending).done).toBe(true);
  });
});
