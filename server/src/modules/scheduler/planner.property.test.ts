import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareQueue, PendingReason, plan, type Plan, type PlanInput, type PlanNode, type PlanRunning, type PlanWaiting } from './planner.js';

const NOW = Date.UTC(2025, 0, 15, 12);
/** Times are whole quarter hours, so that ends, starts and shadows often coincide: the edges the rules must get right. */
const QUARTER = 15 * 60_000;
const TYPES = ['A100', 'H100'];
const RUNS = 300;

const nodeArb = fc.record({
  type: fc.integer({ min: 0, max: 1 }),
  gpuCount: fc.integer({ min: 1, max: 8 }),
  state: fc.constantFrom<PlanNode['state']>('UP', 'UP', 'UP', 'DRAINING', 'DOWN'),
});
const runningArb = fc.record({
  node: fc.nat(),
  gpus: fc.integer({ min: 1, max: 8 }),
  endIn: fc.integer({ min: 1, max: 24 }),
  likelyIn: fc.integer({ min: 1, max: 24 }),
});
const waitingArb = fc.record({
  type: fc.integer({ min: 0, max: 1 }),
  gpus: fc.integer({ min: 1, max: 9 }),
  status: fc.constantFrom<PlanWaiting['status']>('APPROVED', 'APPROVED', 'APPROVED', 'PENDING'),
  priority: fc.integer({ min: 0, max: 2 }),
  share: fc.integer({ min: 0, max: 3 }),
  approvedAgo: fc.integer({ min: 0, max: 8 }),
  limit: fc.integer({ min: 1, max: 16 }),
  likely: fc.integer({ min: 1, max: 16 }),
  owner: fc.integer({ min: 0, max: 4 }),
});

/** A small random cluster (1–6 nodes of 1–8 GPUs, one or two types), its running jobs, and up to 30 waiting jobs. */
const inputArb = fc
  .record({
    types: fc.integer({ min: 1, max: 2 }),
    nodes: fc.array(nodeArb, { minLength: 1, maxLength: 6 }),
    running: fc.array(runningArb, { maxLength: 12 }),
    waiting: fc.array(waitingArb, { maxLength: 30 }),
  })
  .map(({ types, nodes: rawNodes, running: rawRunning, waiting: rawWaiting }) => {
    const nodes: PlanNode[] = rawNodes.map((n, i) => ({
      id: `node-${i}`, name: `n${String(i).padStart(2, '0')}`, gpuType: TYPES[n.type % types]!, gpuCount: n.gpuCount, state: n.state,
    }));
    const free = nodes.map((n) => n.gpuCount);
    const running: PlanRunning[] = [];
    for (const r of rawRunning) {
      const node = r.node % nodes.length;
      const gpuCount = Math.min(r.gpus, free[node]!);
      if (gpuCount === 0) continue;
      free[node]! -= gpuCount;
      const endBy = NOW + r.endIn * QUARTER;
      running.push({ id: `run-${running.length}`, nodeId: nodes[node]!.id, gpuCount, endBy, likelyEnd: Math.min(endBy, NOW + r.likelyIn * QUARTER) });
    }
    const waiting: PlanWaiting[] = rawWaiting.map((w, i) => ({
      id: `job-${String(i).padStart(2, '0')}`, ownerId: `owner-${w.owner}`, gpuType: TYPES[w.type % types]!, gpuCount: w.gpus,
      status: w.status, priority: w.priority, fairShare: w.share / 4,
      approvedAt: w.status === 'PENDING' ? null : NOW - w.approvedAgo * QUARTER, createdAt: NOW - 10 * QUARTER - i,
      limitMs: w.limit * QUARTER, likelyMs: Math.min(w.limit, w.likely) * QUARTER,
    }));
    return { nodes, running, waiting };
  });

const scenarioArb = fc.record({ cluster: inputArb, backfill: fc.boolean() });

function planOf(cluster: Omit<PlanInput, 'now' | 'backfill'>, backfill: boolean): Plan {
  return plan({ now: NOW, ...cluster, backfill });
}

function answer(result: Plan, id: string) {
  const found = result.jobs.get(id);
  if (found === undefined) throw new Error(`no answer for ${id}`);
  return found;
}

/** Whether a job fits on some UP node of its type at all. */
function placeable(input: Pick<PlanInput, 'nodes'>, job: PlanWaiting): boolean {
  return input.nodes.some((n) => n.state === 'UP' && n.gpuType === job.gpuType && n.gpuCount >= job.gpuCount);
}

/** The head of each queue: its first job that waits for GPUs. */
function heads(result: Plan): string[] {
  return [...result.queues.values()].flatMap((queue) => queue.filter((id) => answer(result, id).reason === PendingReason.WAITING_FOR_GPUS).slice(0, 1));
}

/**
 * The rules of the policy written the slow, obvious way (a pass over every node and every queued job
 * at every event), to hold the planner's indexes to: per job, where and when it starts in one run,
 * and the jobs started at `now` in order.
 */
function referenceRun(input: PlanInput, likely: boolean): { starts: Map<string, { at: number; nodeId: string }>; startNow: string[] } {
  // With a forecast (likely run only), an owner's share at t: their GPU-hours now plus what their
  // jobs ran from now to t (running jobs of other types never end here), over their limit.
  const forecast = likely ? input.forecast : undefined;
  const runs: { ownerId: string | undefined; load: number; from: number; to: number }[] = [];
  const shareAt = (ownerId: string, t: number): number => {
    const owner = forecast!.owners.get(ownerId);
    if (owner === undefined) return 0;
    if (!(owner.limit > 0)) return Number.MAX_VALUE;
    const ran = runs.filter((r) => r.ownerId === ownerId).reduce((sum, r) => sum + (r.load * Math.max(0, Math.min(t, r.to) - r.from)) / forecast!.msPerHour, 0);
    return (owner.used + ran) / owner.limit;
  };
  const starts = new Map<string, { at: number; nodeId: string }>();
  const startNow: string[] = [];
  const byName = (a: PlanNode, b: PlanNode) => (a.name < b.name ? -1 : 1);
  for (const gpuType of [...new Set([...input.nodes.map((n) => n.gpuType), ...input.waiting.map((w) => w.gpuType)])].sort()) {
    const up = input.nodes.filter((n) => n.gpuType === gpuType && n.state === 'UP').sort(byName);
    const active = input.running
      .filter((r) => up.some((n) => n.id === r.nodeId))
      .map((r) => {
        const limitEnd = Math.max(r.endBy, input.now + 1);
        return { nodeId: r.nodeId, gpus: r.gpuCount, limitEnd, end: likely ? Math.min(Math.max(r.likelyEnd, input.now + 1), limitEnd) : limitEnd };
      });
    const queue = input.waiting
      .filter((w) => w.gpuType === gpuType && w.status === 'APPROVED' && up.some((n) => n.gpuCount >= w.gpuCount))
      .sort((a, b) => compareQueue(a, b, input.now));
    if (forecast !== undefined) {
      runs.length = 0;
      for (const r of input.running) {
        const here = up.some((n) => n.id === r.nodeId);
        const end = here ? Math.min(Math.max(r.likelyEnd, input.now + 1), Math.max(r.endBy, input.now + 1)) : Infinity;
        // A job on a node of another type (or not UP here) runs on as far as this type's run can see.
        const otherType = !input.nodes.some((n) => n.id === r.nodeId && n.gpuType === gpuType && n.state === 'UP');
        runs.push({ ownerId: r.ownerId, load: r.gpuCount * (r.weight ?? 1), from: input.now, to: otherType ? Infinity : end });
      }
    }
    // The head at t: by priority, then the owner's share at t, then approval, then the queue's order of now.
    const ordered = (jobs: PlanWaiting[], t: number): PlanWaiting[] => {
      if (forecast === undefined) return jobs;
      const rank = new Map(queue.map((job, i) => [job.id, i]));
      const firsts = new Map<string, PlanWaiting>();
      for (const job of jobs) if (!firsts.has(job.ownerId)) firsts.set(job.ownerId, job);
      const head = [...firsts.values()].sort(
        (a, b) =>
          b.priority - a.priority ||
          shareAt(a.ownerId, t) - shareAt(b.ownerId, t) ||
          (a.approvedAt ?? input.now) - (b.approvedAt ?? input.now) ||
          rank.get(a.id)! - rank.get(b.id)!,
      )[0];
      return head === undefined ? jobs : [head, ...jobs.filter((job) => job !== head)];
    };
    const free = (node: PlanNode) => node.gpuCount - active.filter((a) => a.nodeId === node.id).reduce((n, a) => n + a.gpus, 0);
    const bestFit = (need: number) =>
      up.filter((n) => free(n) >= need).sort((a, b) => free(a) - free(b) || byName(a, b))[0];
    const fitTime = (node: PlanNode, need: number) => {
      let room = free(node);
      if (room >= need) return -Infinity;
      for (const a of active.filter((x) => x.nodeId === node.id).sort((x, y) => x.limitEnd - y.limitEnd)) {
        room += a.gpus;
        if (room >= need) return a.limitEnd;
      }
      return Infinity;
    };
    let t = input.now;
    const start = (job: PlanWaiting, node: PlanNode) => {
      starts.set(job.id, { at: t, nodeId: node.id });
      if (t === input.now) startNow.push(job.id);
      const end = t + (likely ? Math.min(job.likelyMs, job.limitMs) : job.limitMs);
      active.push({ nodeId: node.id, gpus: job.gpuCount, limitEnd: t + job.limitMs, end });
      runs.push({ ownerId: job.ownerId, load: job.gpuCount * (job.weight ?? 1), from: t, to: end });
    };
    for (;;) {
      let waiting = ordered(queue.filter((job) => !starts.has(job.id)), t);
      for (let node = waiting[0] && bestFit(waiting[0].gpuCount); node !== undefined; node = waiting[0] && bestFit(waiting[0].gpuCount)) {
        start(waiting[0]!, node);
        waiting = ordered(waiting.slice(1), t);
      }
      const head = waiting[0];
      if (head === undefined) break;
      if (input.backfill) {
        const shadow = Math.min(...up.map((n) => fitTime(n, head.gpuCount)));
        // Backfill takes the largest job behind the head that fits now and ends by the shadow, the
        // first of its size in the queue's order of now, until none does.
        for (;;) {
          const fitting = queue.filter((j) => j !== head && !starts.has(j.id) && t + j.limitMs <= shadow && bestFit(j.gpuCount) !== undefined);
          const job = fitting.sort((a, b) => b.gpuCount - a.gpuCount)[0];
          if (job === undefined) break;
          start(job, bestFit(job.gpuCount)!);
        }
      }
      t = Math.min(...active.map((a) => a.end));
      active.splice(0, active.length, ...active.filter((a) => a.end > t));
    }
  }
  return { starts, startNow };
}

describe('plan properties', () => {
  it('should plan exactly what the rules written the obvious way plan', () => {
    fc.assert(
      fc.property(scenarioArb, ({ cluster, backfill }) => {
        const input = { now: NOW, ...cluster, backfill };
        const result = plan(input);
        const byLimit = referenceRun(input, false);
        const likely = referenceRun(input, true);
        expect(result.startNow).toEqual(byLimit.startNow);
        for (const job of cluster.waiting) {
          const { startBy, likelyStart, plannedNodeId } = answer(result, job.id);
          const expected = byLimit.starts.get(job.id);
          const likelyAt = likely.starts.get(job.id)?.at;
          expect({ startBy, plannedNodeId, likelyStart }).toEqual({
            startBy: expected?.at ?? null,
            plannedNodeId: expected?.nodeId ?? null,
            likelyStart: expected === undefined || likelyAt === undefined ? null : Math.min(likelyAt, expected.at),
          });
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('should never plan a head later with backfill than without', () => {
    fc.assert(
      fc.property(inputArb, (cluster) => {
        const withBackfill = planOf(cluster, true);
        const without = planOf(cluster, false);
        expect(heads(withBackfill)).toEqual(heads(without));
        for (const head of heads(without)) expect(answer(withBackfill, head).startBy!).toBeLessThanOrEqual(answer(without, head).startBy!);
      }),
      { numRuns: RUNS },
    );
  });

  it('should start a job ahead of its turn only if its time limit ends by the head\'s planned start', () => {
    fc.assert(
      fc.property(inputArb, (cluster) => {
        const result = planOf(cluster, true);
        for (const queue of result.queues.values()) {
          const head = queue.find((id) => answer(result, id).reason === PendingReason.WAITING_FOR_GPUS);
          if (head === undefined) continue;
          for (const id of queue.slice(queue.indexOf(head) + 1)) {
            if (answer(result, id).startBy !== NOW) continue;
            const job = cluster.waiting.find((w) => w.id === id)!;
            expect(NOW + job.limitMs).toBeLessThanOrEqual(answer(result, head).startBy!);
          }
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('should never over-commit a node in the planned schedule', () => {
    fc.assert(
      fc.property(scenarioArb, ({ cluster, backfill }) => {
        const result = planOf(cluster, backfill);
        // Each holding as [from, to) on a node: running jobs until their end, planned starts until their limit.
        const holds = [
          ...cluster.running.map((r) => ({ nodeId: r.nodeId, gpus: r.gpuCount, from: NOW, to: r.endBy })),
          ...cluster.waiting.flatMap((job) => {
            const { startBy, plannedNodeId } = answer(result, job.id);
            return startBy === null || plannedNodeId === null ? [] : [{ nodeId: plannedNodeId, gpus: job.gpuCount, from: startBy, to: startBy + job.limitMs }];
          }),
        ];
        for (const node of cluster.nodes) {
          const here = holds.filter((h) => h.nodeId === node.id);
          for (const moment of here) {
            const held = here.filter((h) => h.from <= moment.from && moment.from < h.to).reduce((n, h) => n + h.gpus, 0);
            expect(held).toBeLessThanOrEqual(node.gpuCount);
          }
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('should plan every placeable APPROVED job on an UP node of its type, from now on, likelyStart no later than startBy', () => {
    fc.assert(
      fc.property(scenarioArb, ({ cluster, backfill }) => {
        const result = planOf(cluster, backfill);
        for (const job of cluster.waiting) {
          const { startBy, likelyStart, plannedNodeId, reason } = answer(result, job.id);
          if (job.status === 'PENDING' || !placeable(cluster, job)) {
            expect([startBy, likelyStart, plannedNodeId]).toEqual([null, null, null]);
            expect([PendingReason.AWAITING_APPROVAL, PendingReason.NO_NODE_FITS, PendingReason.NODES_UNAVAILABLE]).toContain(reason);
            continue;
          }
          expect(startBy).not.toBeNull();
          expect(likelyStart).not.toBeNull();
          expect(startBy!).toBeGreaterThanOrEqual(NOW);
          expect(likelyStart!).toBeGreaterThanOrEqual(NOW);
          expect(likelyStart!).toBeLessThanOrEqual(startBy!);
          const node = cluster.nodes.find((n) => n.id === plannedNodeId);
          expect(node).toMatchObject({ state: 'UP', gpuType: job.gpuType });
          expect(node!.gpuCount).toBeGreaterThanOrEqual(job.gpuCount);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('should start now exactly the jobs planned for now, all fitting together in the GPUs free now', () => {
    fc.assert(
      fc.property(scenarioArb, ({ cluster, backfill }) => {
        const result = planOf(cluster, backfill);
        const plannedNow = cluster.waiting.filter((job) => answer(result, job.id).startBy === NOW).map((job) => job.id);
        expect([...result.startNow].sort()).toEqual(plannedNow.sort());
        for (const node of cluster.nodes) {
          const held = cluster.running.filter((r) => r.nodeId === node.id).reduce((n, r) => n + r.gpuCount, 0);
          const starting = result.startNow
            .filter((id) => answer(result, id).plannedNodeId === node.id)
            .reduce((n, id) => n + cluster.waiting.find((w) => w.id === id)!.gpuCount, 0);
          expect(held + starting).toBeLessThanOrEqual(node.gpuCount);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('should start jobs in queue order with backfill off', () => {
    fc.assert(
      fc.property(inputArb, (cluster) => {
        const result = planOf(cluster, false);
        for (const queue of result.queues.values()) {
          const starts = queue.map((id) => answer(result, id).startBy).filter((start) => start !== null);
          for (let i = 1; i < starts.length; i += 1) expect(starts[i]!).toBeGreaterThanOrEqual(starts[i - 1]!);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('should number each queue 1, 2, 3, … and place PENDING jobs among them', () => {
    fc.assert(
      fc.property(inputArb, (cluster) => {
        const result = planOf(cluster, true);
        for (const queue of result.queues.values()) {
          expect(queue.map((id) => answer(result, id).position)).toEqual(queue.map((_, i) => i + 1));
        }
        for (const job of cluster.waiting.filter((w) => w.status === 'PENDING')) {
          const { position, jobsAhead } = answer(result, job.id);
          expect(jobsAhead).toBe(position - 1);
          expect(position).toBeLessThanOrEqual((result.queues.get(job.gpuType) ?? []).length + 1);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('should, with fair share moving in the likely run, change nothing but likelyStart, and still plan every placeable job', () => {
    const forecastArb = fc.record({
      used: fc.array(fc.integer({ min: 0, max: 20 }), { minLength: 5, maxLength: 5 }),
      limit: fc.array(fc.integer({ min: 0, max: 20 }), { minLength: 5, maxLength: 5 }),
      runningOwners: fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 12, maxLength: 12 }),
    });
    fc.assert(
      fc.property(scenarioArb, forecastArb, ({ cluster, backfill }, { used, limit, runningOwners }) => {
        const owners = new Map(used.map((u, i) => [`owner-${i}`, { used: u, limit: limit[i]! }]));
        const running = cluster.running.map((r, i) => ({ ...r, ownerId: `owner-${runningOwners[i]!}` }));
        const without = planOf({ ...cluster, running }, backfill);
        const forecastInput = { now: NOW, ...cluster, running, backfill, forecast: { msPerHour: 4 * QUARTER, owners } };
        const withForecast = plan(forecastInput);
        const reference = referenceRun(forecastInput, true);
        expect(withForecast.startNow).toEqual(without.startNow);
        expect(withForecast.queues).toEqual(without.queues);
        for (const job of cluster.waiting) {
          const a = answer(withForecast, job.id);
          const b = answer(without, job.id);
          expect({ ...a, likelyStart: null }).toEqual({ ...b, likelyStart: null });
          expect(a.likelyStart === null).toBe(b.likelyStart === null);
          if (a.likelyStart !== null) expect(a.likelyStart).toBeGreaterThanOrEqual(NOW);
          expect(a.likelyStart).toBe(a.startBy === null ? null : (reference.starts.get(job.id)?.at ?? null));
        }
      }),
      { numRuns: RUNS },
    );
  });
});
