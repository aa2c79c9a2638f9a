/**
 * Invariants of the GPU inventory (the README's "GPU inventory"), checked after any sequence of
 * operations: the rows read straight from PostgreSQL, and what `cluster` and `gpuNodes` answer
 * compared with them. Every job in the database must have been started on the inventory: a
 * running job that predates it (unplaced) would be reported as holding no GPU.
 */
import type pg from 'pg';
import { expect } from 'vitest';
import { CLUSTER, GPU_NODES, dataOf, type GqlEndpoint, type NodeView, type PoolView } from './factories.js';
import type { TestUser } from './harness.js';

// ---- The rows -------------------------------------------------------------------------------

export interface NodeRow {
  id: string;
  name: string;
  gpu_type: string;
  gpu_count: number;
  state: 'UP' | 'DRAINING' | 'DOWN';
  removed: boolean;
}

export interface AllocationRow {
  job_id: string;
  node_id: string;
  gpu_index: number;
  released_at: Date | null;
}

export interface JobRow {
  id: string;
  status: string;
  gpu_type: string;
  gpu_count: number;
  status_reason: string | null;
  started_at: Date | null;
  finished_at: Date | null;
}

/** The inventory, every allocation (held and released) and every job, as committed. */
export interface CapacitySnapshot {
  nodes: NodeRow[];
  allocations: AllocationRow[];
  jobs: JobRow[];
}

export async function readCapacity(db: pg.Pool): Promise<CapacitySnapshot> {
  const [nodes, allocations, jobs] = await Promise.all([
    db.query<NodeRow>('select id, name, gpu_type, gpu_count, state, removed_at is not null as removed from gpu_nodes order by gpu_type, name, id'),
    db.query<AllocationRow>('select job_id, node_id, gpu_index, released_at from gpu_allocations order by node_id, gpu_index, job_id'),
    db.query<JobRow>('select id, status, gpu_type, gpu_count, status_reason, started_at, finished_at from jobs order by id'),
  ]);
  return { nodes: nodes.rows, allocations: allocations.rows, jobs: jobs.rows };
}

/** The GPU indices of each node that unreleased allocations hold, with their jobs. */
export function heldSlots(snapshot: CapacitySnapshot): Map<string, Map<number, string>> {
  const held = new Map<string, Map<number, string>>(snapshot.nodes.map((n) => [n.id, new Map()]));
  for (const a of snapshot.allocations) if (a.released_at === null) held.get(a.node_id)?.set(a.gpu_index, a.job_id);
  return held;
}

/** GPUs a new job could get on `node` now, by the definition: unheld GPUs of a live UP node. */
export function freeOnNode(node: NodeRow, snapshot: CapacitySnapshot): number {
  if (node.removed || node.state !== 'UP') return 0;
  return node.gpu_count - (heldSlots(snapshot).get(node.id)?.size ?? 0);
}

/** What `cluster` must answer for the rows: each pool by its definition in the schema. */
function expectedPools(snapshot: CapacitySnapshot): PoolView[] {
  const held = heldSlots(snapshot);
  const pools = new Map<string, PoolView>();
  for (const node of snapshot.nodes.filter((n) => !n.removed)) {
    const pool = pools.get(node.gpu_type) ?? {
      gpuType: node.gpu_type, nodes: 0, totalGpus: 0, upGpus: 0, allocatedGpus: 0, freeGpus: 0,
      drainingGpus: 0, largestFreeBlock: 0, largestNodeGpus: 0, queuedJobs: 0, queuedGpus: 0,
    };
    const unheld = node.gpu_count - held.get(node.id)!.size;
    pool.nodes += 1;
    pool.totalGpus += node.gpu_count;
    pool.largestNodeGpus = Math.max(pool.largestNodeGpus, node.gpu_count);
    pool.allocatedGpus += held.get(node.id)!.size;
    if (node.state !== 'DOWN') pool.upGpus += node.gpu_count;
    if (node.state === 'UP') {
      pool.freeGpus += unheld;
      pool.largestFreeBlock = Math.max(pool.largestFreeBlock, unheld);
    }
    if (node.state === 'DRAINING') pool.drainingGpus += unheld;
    pools.set(node.gpu_type, pool);
  }
  for (const job of snapshot.jobs.filter((j) => j.status === 'APPROVED')) {
    const pool = pools.get(job.gpu_type);
    if (pool === undefined) continue; // a type with no node is no pool; its queue waits for one
    pool.queuedJobs += 1;
    pool.queuedGpus += job.gpu_count;
  }
  return [...pools.values()].sort((a, b) => (a.gpuType < b.gpuType ? -1 : a.gpuType > b.gpuType ? 1 : 0));
}

/**
 * Asserts every capacity invariant on `snapshot`, and that `cluster` and `gpuNodes`, read as
 * `admin` through `api`, show exactly what the rows say:
 * - no (node, index) held by two unreleased allocations; no held index ≥ its node's size;
 *   nothing held on a DOWN or removed node, nor by a job of another type;
 * - every RUNNING job holds exactly `gpuCount` GPUs on one node of its type; no other job holds
 *   any; a job that never started has no allocation; a finished job's were released as it
 *   finished (in the same transaction, so at the same instant);
 * - per UP node free + held = size; per pool free + allocated + draining = up.
 */
export async function assertCapacityInvariants(snapshot: CapacitySnapshot, api: GqlEndpoint, admin: Pick<TestUser, 'token'>): Promise<void> {
  const nodes = new Map(snapshot.nodes.map((n) => [n.id, n]));
  const jobs = new Map(snapshot.jobs.map((j) => [j.id, j]));
  const held = snapshot.allocations.filter((a) => a.released_at === null);

  const slots = new Map<string, string[]>();
  for (const a of held) slots.set(`${a.node_id}#${a.gpu_index}`, [...(slots.get(`${a.node_id}#${a.gpu_index}`) ?? []), a.job_id]);
  expect([...slots].filter(([, holders]) => holders.length > 1), 'GPUs held by two unreleased allocations').toEqual([]);

  const misplaced = held.flatMap((a) => {
    const node = nodes.get(a.node_id)!;
    const job = jobs.get(a.job_id)!;
    const why = [
      a.gpu_index >= node.gpu_count && `index ${a.gpu_index} of a ${node.gpu_count}-GPU node`,
      node.state === 'DOWN' && 'on a DOWN node',
      node.removed && 'on a removed node',
      job.gpu_type !== node.gpu_type && `a ${job.gpu_type} job on a ${node.gpu_type} node`,
      job.status !== 'RUNNING' && `held by a ${job.status} job`,
    ].filter(Boolean);
    return why.length > 0 ? [{ node: node.name, index: a.gpu_index, job: a.job_id, why }] : [];
  });
  expect(misplaced, 'GPUs held where they may not be').toEqual([]);

  const badRunning = snapshot.jobs
    .filter((j) => j.status === 'RUNNING')
    .map((j) => ({ job: j.id, gpuCount: j.gpu_count, holds: held.filter((a) => a.job_id === j.id) }))
    .filter(({ gpuCount, holds }) => holds.length !== gpuCount || new Set(holds.map((a) => a.node_id)).size !== 1)
    .map(({ job, gpuCount, holds }) => ({ job, gpuCount, holds: holds.map((a) => `${nodes.get(a.node_id)!.name}#${a.gpu_index}`) }));
  expect(badRunning, 'RUNNING jobs that do not hold gpuCount GPUs on one node').toEqual([]);

  const badHistory = snapshot.allocations.flatMap((a) => {
    const job = jobs.get(a.job_id)!;
    if (job.started_at === null) return [{ job: job.id, status: job.status, why: 'allocation of a job that never started' }];
    if (job.finished_at !== null && a.released_at?.getTime() !== job.finished_at.getTime()) {
      return [{ job: job.id, status: job.status, why: `released at ${a.released_at?.toISOString()}, finished at ${job.finished_at.toISOString()}` }];
    }
    return [];
  });
  expect(badHistory, 'allocations that disagree with their job').toEqual([]);

  const [{ cluster }, { gpuNodes }] = await Promise.all([
    api.gql<{ cluster: PoolView[] }>(CLUSTER, {}, admin.token).then((res) => dataOf(res, 'cluster')),
    api.gql<{ gpuNodes: NodeView[] }>(GPU_NODES, {}, admin.token).then((res) => dataOf(res, 'gpuNodes')),
  ]);
  const holders = heldSlots(snapshot);
  const live = snapshot.nodes.filter((n) => !n.removed);
  const byId = (a: { id: string }, b: { id: string }) => a.id.localeCompare(b.id);
  expect(
    gpuNodes.map((n) => ({ ...n, gpus: n.gpus.map((g) => ({ index: g.index, job: g.job?.id ?? null })) })).sort(byId),
    'gpuNodes against the rows',
  ).toEqual(
    [...live].sort(byId).map((n) => ({
      id: n.id,
      name: n.name,
      gpuType: n.gpu_type,
      gpuCount: n.gpu_count,
      state: n.state,
      freeGpus: freeOnNode(n, snapshot),
      gpus: Array.from({ length: n.gpu_count }, (_, index) => ({ index, job: holders.get(n.id)!.get(index) ?? null })),
    })),
  );
  for (const node of gpuNodes.filter((n) => n.state === 'UP')) {
    expect(node.freeGpus + node.gpus.filter((g) => g.job !== null).length, `free + held on ${node.name}`).toBe(node.gpuCount);
  }
  // Compared on the fields `CLUSTER` selects.
  const selected = (pool: PoolView) => Object.fromEntries(Object.entries(pool).filter(([field]) => field in (cluster[0] ?? {})));
  expect(cluster, 'cluster against the rows').toEqual(expectedPools(snapshot).map(selected));
  for (const pool of cluster) {
    expect(pool.freeGpus + pool.allocatedGpus + pool.drainingGpus, `free + allocated + draining of ${pool.gpuType}`).toBe(pool.upGpus);
  }
}
