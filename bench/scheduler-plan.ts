/**
 * Scenario: the scheduler's planning speed. `plan()` (both of its runs, startBy and likely) over a
 * seeded cluster of 1,000 nodes × 8 GPUs in 4 types with 3,000 running jobs and 10,000 APPROVED
 * jobs waiting, timed in this process: the plan is pure code, so no server or database is involved.
 */
import { plan, type Plan, type PlanInput, type PlanNode, type PlanRunning, type PlanWaiting } from '../server/src/modules/scheduler/planner.js';
import { num, type ScenarioResult, type Table, type TargetCheck } from './report.js';
import type { ScenarioContext } from './scenario.js';
import { pick, seeded, type Random } from './scheduler-workload.js';
import { percentile } from './stats.js';

const TARGET_MS = 200;
/** The simulator's default pace (SIM_SECONDS_PER_HOUR): one simulated hour lasts 10 real seconds. */
const HOUR_MS = 10_000;
const NOW = Date.UTC(2025, 0, 15, 12);
const SEED = 20_250_115;

/** The input's size: the figures. */
export interface PlanningShape {
  gpuTypes: string[];
  nodesPerType: number;
  gpusPerNode: number;
  running: number;
  waiting: number;
  owners: number;
}

export const PLANNING_SHAPE: PlanningShape = {
  gpuTypes: ['A100', 'H100', 'L40S', 'B200'],
  nodesPerType: 250,
  gpusPerNode: 8,
  running: 3_000,
  waiting: 10_000,
  owners: 200,
};

/** A time limit of 1 to 72 simulated hours. */
function limitMs(random: Random): number {
  return (1 + Math.floor(random() * 72)) * HOUR_MS;
}

function inventory(shape: PlanningShape): PlanNode[] {
  return shape.gpuTypes.flatMap((gpuType) =>
    Array.from({ length: shape.nodesPerType }, (_, i) => {
      const name = `${gpuType.toLowerCase()}-${i + 1}`;
      return { id: name, name, gpuType, gpuCount: shape.gpusPerNode, state: 'UP' as const };
    }),
  );
}

/**
 * Running jobs, mostly small (1: 50 %, 2: 30 %, 4: 15 %, 8: 5 %) so that about four fifths of the
 * GPUs are held and the rest is free in scattered blocks, as on a busy cluster; each on a random
 * node with room for it, started up to its whole limit ago, its likely end 30–100 % into its limit.
 */
function runningJobs(random: Random, nodes: readonly PlanNode[], count: number, owners: number): PlanRunning[] {
  const free = new Map(nodes.map((n) => [n.id, n.gpuCount]));
  const sizes = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 4, 4, 4, 8];
  const jobs: PlanRunning[] = [];
  while (jobs.length < count) {
    const node = pick(random, nodes);
    const gpuCount = pick(random, sizes);
    if (free.get(node.id)! < gpuCount) continue;
    free.set(node.id, free.get(node.id)! - gpuCount);
    const limit = limitMs(random);
    const startedAt = NOW - Math.floor(random() * limit);
    jobs.push({
      id: `running-${jobs.length}`,
      nodeId: node.id,
      gpuCount,
      endBy: startedAt + limit,
      likelyEnd: startedAt + Math.round(limit * (0.3 + 0.7 * random())),
      ownerId: `owner-${Math.floor(random() * owners)}`,
    });
  }
  return jobs;
}

/** APPROVED jobs of 1, 2, 4 or 8 GPUs, priorities 0–2, owners with random fair shares, approved over the last day. */
function waitingJobs(random: Random, shape: PlanningShape, shares: readonly number[]): PlanWaiting[] {
  return Array.from({ length: shape.waiting }, (_, i) => {
    const owner = Math.floor(random() * shape.owners);
    const limit = limitMs(random);
    const approvedAt = NOW - Math.floor(random() * 24 * 3_600_000);
    return {
      id: `waiting-${i}`,
      ownerId: `owner-${owner}`,
      gpuType: pick(random, shape.gpuTypes),
      gpuCount: pick(random, [1, 2, 4, 8]),
      status: 'APPROVED' as const,
      priority: Math.floor(random() * 3),
      fairShare: shares[owner]!,
      approvedAt,
      createdAt: approvedAt - Math.floor(random() * 3_600_000),
      limitMs: limit,
      likelyMs: Math.round(limit * (0.3 + 0.7 * random())),
    };
  });
}

/** The benchmark's input, the same for a given seed. */
export function planningInput(shape: PlanningShape = PLANNING_SHAPE, seed = SEED, backfill = true): PlanInput {
  const random = seeded(seed);
  const nodes = inventory(shape);
  // Monthly limits of 500–5,000 GPU-hours, used in proportion to each owner's share: the likely
  // run moves those shares as jobs run, as the servers' plans do.
  const limits = Array.from({ length: shape.owners }, () => 500 + Math.floor(random() * 4500));
  const shares = limits.map(() => random() * 1.2);
  const running = runningJobs(random, nodes, shape.running, shape.owners);
  const owners = new Map(limits.map((limit, i) => [`owner-${i}`, { used: shares[i]! * limit, limit }]));
  return {
    now: NOW, nodes, running, waiting: waitingJobs(random, shape, shares), backfill, forecast: { msPerHour: HOUR_MS, owners },
  };
}

/** Milliseconds of each of `repetitions` plans of `input`, after `warmup` unmeasured ones (so V8 has optimized the code). */
function timePlans(input: PlanInput, warmup: number, repetitions: number): number[] {
  for (let i = 0; i < warmup; i += 1) plan(input);
  return Array.from({ length: repetitions }, () => {
    const began = performance.now();
    plan(input);
    return performance.now() - began;
  });
}

/** Jobs the plan starts before some job ahead of them in their queue: the simulation's backfills. */
function plannedAheadOfTurn(answer: Plan): number {
  let count = 0;
  for (const queue of answer.queues.values()) {
    let latestAhead = -Infinity;
    for (const id of queue) {
      const startBy = answer.jobs.get(id)?.startBy ?? null;
      if (startBy === null) continue;
      if (startBy < latestAhead) count += 1;
      latestAhead = Math.max(latestAhead, startBy);
    }
  }
  return count;
}

/**
 * The planning-speed scenario: times `plan()` on the seeded input with backfill on and off, against
 * the target of 200 ms for both runs (startBy and likely) together.
 */
export async function runSchedulerPlan(ctx: ScenarioContext): Promise<ScenarioResult> {
  const started = performance.now();
  const quick = ctx.settings.mode === 'quick';
  const warmup = 5;
  const repetitions = quick ? 5 : 20;
  const shape = PLANNING_SHAPE;
  const table: Table = {
    title: `plan(): ${num(shape.waiting)} APPROVED jobs, ${num(shape.running)} running, ${num(shape.nodesPerType * shape.gpuTypes.length)} nodes × ${shape.gpusPerNode} GPUs in ${shape.gpuTypes.length} types`,
    columns: ['backfill', 'median ms', 'p95 ms', 'min ms', 'max ms', 'start now', 'planned ahead of their turn', 'last startBy (simulated h)', 'target'],
    rows: [],
  };
  const targets: TargetCheck[] = [];
  for (const backfill of [true, false]) {
    const input = planningInput(shape, SEED, backfill);
    const times = timePlans(input, warmup, repetitions).sort((a, b) => a - b);
    const median = percentile(times, 50);
    const answer = plan(input);
    const lastStart = Math.max(...[...answer.jobs.values()].map((j) => j.startBy ?? NOW));
    table.rows.push([
      backfill ? 'on' : 'off', num(median, 1), num(percentile(times, 95), 1), num(times[0]!, 1), num(times.at(-1)!, 1),
      num(answer.startNow.length), num(plannedAheadOfTurn(answer)), num((lastStart - NOW) / HOUR_MS, 0), `≤ ${TARGET_MS} ms`,
    ]);
    targets.push({
      target: `plan() of ${num(shape.waiting)} approved jobs (both runs), backfill ${backfill ? 'on' : 'off'}: median ≤ ${TARGET_MS} ms`,
      measured: `${num(median, 1)} ms (p95 ${num(percentile(times, 95), 1)} ms)`,
      met: median <= TARGET_MS,
    });
  }
  return {
    title: '7. Scheduler: planning',
    method: [
      `Input (seeded, the same every run): ${shape.gpuTypes.length} GPU types × ${shape.nodesPerType} UP nodes of ${shape.gpusPerNode} GPUs; ` +
        `${num(shape.running)} running jobs of 1–8 GPUs (mostly small) on random nodes with room, each up to its whole limit in; ` +
        `${num(shape.waiting)} APPROVED jobs of 1, 2, 4 or 8 GPUs, limits of 1–72 simulated hours (${HOUR_MS / 1000} s each), likely run times 30–100 % of the limit, ` +
        `priorities 0–2, ${shape.owners} owners with random fair shares.`,
      `Each figure: ${warmup} unmeasured plans, then ${repetitions} timed plans in this process (performance.now around \`plan()\`, which runs the startBy and the likely simulation of every type).`,
      'What keeps an event cheap: UP nodes bucketed by free GPUs (fit and best fit without a pass over the nodes), a min-heap of ends, and with backfill ' +
        'a segment tree of node fit times per job size (the head\'s shadow time) and one of waiting jobs\' limits per size (the first job that may backfill).',
    ],
    tables: [table],
    targets,
    findings: [],
    evidence: [],
    seconds: (performance.now() - started) / 1000,
  };
}
