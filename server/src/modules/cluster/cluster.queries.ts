/**
 * The inventory's reads that run outside any unit of work, on the plain pool (see `db/sql.ts`):
 * the catalogue that every submission checks, the pools that `cluster`, `clusterChanged` and the
 * metrics show, the node list with its slots, job allocations and utilization.
 *
 * The texts are exported so that the benchmark's raw baselines send the very same statements.
 */
import type { SqlRunner } from '../../db/sql.js';
import type { GpuNodeState } from './gpu-node.entity.js';

/** One GPU type's pool: its nodes' GPUs by what they are doing, and its queue. */
export interface PoolRecord {
  gpuType: string;
  nodes: number;
  totalGpus: number;
  /** GPUs of nodes that are not DOWN. */
  upGpus: number;
  allocatedGpus: number;
  /** Unheld GPUs of UP nodes: what new jobs can get now. */
  freeGpus: number;
  /** Unheld GPUs of DRAINING nodes: up, but offered to no new job. */
  drainingGpus: number;
  largestFreeBlock: number;
  /** GPUs of its largest node (any state): the most one job of this type may ask for. */
  largestNodeGpus: number;
  queuedJobs: number;
  queuedGpus: number;
}

export const POOLS_SQL = `
with node as materialized (
  select n.gpu_type, n.gpu_count, n.state,
         (select count(*) from gpu_allocations a where a.node_id = n.id and a.released_at is null)::int as held
    from gpu_nodes n
   where n.removed_at is null),
queued as (
  select gpu_type, count(*)::int as jobs, sum(gpu_count)::int as gpus
    from jobs where status = 'APPROVED' group by gpu_type)
select node.gpu_type as "gpuType",
       count(*)::int as nodes,
       sum(gpu_count)::int as "totalGpus",
       coalesce(sum(gpu_count) filter (where state <> 'DOWN'), 0)::int as "upGpus",
       sum(held)::int as "allocatedGpus",
       coalesce(sum(gpu_count - held) filter (where state = 'UP'), 0)::int as "freeGpus",
       coalesce(sum(gpu_count - held) filter (where state = 'DRAINING'), 0)::int as "drainingGpus",
       coalesce(max(gpu_count - held) filter (where state = 'UP'), 0)::int as "largestFreeBlock",
       max(gpu_count)::int as "largestNodeGpus",
       coalesce(max(queued.jobs), 0)::int as "queuedJobs",
       coalesce(max(queued.gpus), 0)::int as "queuedGpus"
  from node left join queued using (gpu_type)
 group by node.gpu_type
 order by node.gpu_type`;

/** Every GPU type's pool, by type name. */
export function pools(sql: SqlRunner): Promise<PoolRecord[]> {
  return sql.rows<PoolRecord>(POOLS_SQL);
}

/** The catalogue: each GPU type that has a node, with the GPU count of its largest node. */
export async function catalogue(sql: SqlRunner): Promise<Map<string, number>> {
  const rows = await sql.rows<{ gpu_type: string; largest: number }>(
    `select gpu_type, max(gpu_count)::int as largest from gpu_nodes where removed_at is null group by gpu_type order by gpu_type`,
  );
  return new Map(rows.map((r) => [r.gpu_type, r.largest]));
}

/** A node as the API shows it, with the job holding each GPU (null: free). */
export interface NodeRecord {
  id: string;
  name: string;
  gpuType: string;
  gpuCount: number;
  state: GpuNodeState;
  createdAt: Date;
  /** `holders[i]`: the id of the job holding GPU i, or null. */
  holders: (string | null)[];
}

interface NodeRow {
  id: string;
  name: string;
  gpu_type: string;
  gpu_count: number;
  state: GpuNodeState;
  created_at: Date;
  held: { i: number; job: string }[] | null;
}

const NODES_SQL = `
select n.id, n.name, n.gpu_type, n.gpu_count, n.state, n.created_at,
       (select json_agg(json_build_object('i', a.gpu_index, 'job', a.job_id))
          from gpu_allocations a where a.node_id = n.id and a.released_at is null) as held
  from gpu_nodes n
 where n.removed_at is null`;

function toNodeRecord(row: NodeRow): NodeRecord {
  const holders: (string | null)[] = Array.from({ length: row.gpu_count }, () => null);
  for (const { i, job } of row.held ?? []) holders[i] = job;
  return { id: row.id, name: row.name, gpuType: row.gpu_type, gpuCount: row.gpu_count, state: row.state, createdAt: row.created_at, holders };
}

/** Every live node, by type and name. */
export async function nodes(sql: SqlRunner): Promise<NodeRecord[]> {
  return (await sql.rows<NodeRow>(`${NODES_SQL} order by n.gpu_type, n.name`)).map(toNodeRecord);
}

/** Nodes by id, removed ones included (a finished job's allocation names its node for good). */
export async function nodesById(sql: SqlRunner, ids: readonly string[]): Promise<NodeRecord[]> {
  const rows = await sql.rows<NodeRow>(
    `select n.id, n.name, n.gpu_type, n.gpu_count, n.state, n.created_at,
            (select json_agg(json_build_object('i', a.gpu_index, 'job', a.job_id))
               from gpu_allocations a where a.node_id = n.id and a.released_at is null) as held
       from gpu_nodes n where n.id = any($1::uuid[])`,
    [ids],
  );
  return rows.map(toNodeRecord);
}

/** Where a job runs or ran: its node and GPU indices. */
export interface AllocationRecord {
  jobId: string;
  nodeId: string;
  gpuIndices: number[];
}

/** The allocations of jobs, by job id; a job that never started has none. */
export async function allocations(sql: SqlRunner, jobIds: readonly string[]): Promise<Map<string, AllocationRecord>> {
  const rows = await sql.rows<{ job_id: string; node_id: string; gpu_indices: number[] }>(
    `select job_id, min(node_id::text)::uuid as node_id, array_agg(gpu_index order by gpu_index) as gpu_indices
       from gpu_allocations where job_id = any($1::uuid[]) group by job_id`,
    [jobIds],
  );
  return new Map(rows.map((r) => [r.job_id, { jobId: r.job_id, nodeId: r.node_id, gpuIndices: r.gpu_indices }]));
}

/** Average GPUs allocated over one bucket, against the capacity of nodes that are not DOWN. */
export interface UtilizationRecord {
  at: Date;
  allocatedGpus: number;
  capacityGpus: number;
}

/**
 * Allocated GPUs averaged per bucket, from allocation start and end times. Each job's holding
 * is a step up at its start and down at its end; with the bucket edges added as steps of zero, a
 * running sum gives the level of every segment between two steps, and each segment lies in one
 * bucket, so the work grows with the allocations in the window, not with allocations × buckets.
 * Capacity is today's: the inventory keeps no history of node sizes.
 */
export const UTILIZATION_SQL = `
with p as (
  select $2::timestamptz as t0, $3::timestamptz as t1, $4::int as n,
         extract(epoch from ($3::timestamptz - $2::timestamptz)) / $4::int as width),
held as (
  select greatest(a.allocated_at, p.t0) as s,
         least(coalesce(a.released_at, now()), p.t1) as e,
         count(*)::float8 as gpus
    from gpu_allocations a
    join gpu_nodes g on g.id = a.node_id
   cross join p
   where ($1::text is null or g.gpu_type = $1)
     and a.allocated_at < p.t1
     and coalesce(a.released_at, 'infinity'::timestamptz) > p.t0
   group by a.job_id, a.allocated_at, a.released_at, p.t0, p.t1),
step as (
  select s as t, gpus as d from held where s < e
  union all select e, -gpus from held where s < e
  union all select p.t0 + (p.t1 - p.t0) * i / p.n, 0 from p, generate_series(0, p.n) as i),
level as (
  select t, sum(d) over (order by t rows unbounded preceding) as lvl, lead(t) over (order by t) as nxt from step),
per_bucket as (
  select least(p.n - 1, floor((extract(epoch from level.t - p.t0) + 1e-6) / p.width))::int as i,
         sum(level.lvl * extract(epoch from level.nxt - level.t)) as area
    from level cross join p
   where level.nxt is not null and level.t >= p.t0 and level.t < p.t1
   group by 1),
capacity as (
  select coalesce(sum(gpu_count), 0)::int as gpus from gpu_nodes
   where removed_at is null and state <> 'DOWN' and ($1::text is null or gpu_type = $1))
select p.t0 + (p.t1 - p.t0) * b.i / p.n as "at",
       coalesce(per_bucket.area, 0) / p.width as "allocatedGpus",
       capacity.gpus as "capacityGpus"
  from p cross join capacity cross join generate_series(0, p.n - 1) as b(i)
  left join per_bucket on per_bucket.i = b.i
 order by b.i`;

export async function utilization(
  sql: SqlRunner,
  gpuType: string | null,
  from: Date,
  to: Date,
  buckets: number,
): Promise<UtilizationRecord[]> {
  const rows = await sql.rows<{ at: Date; allocatedGpus: number; capacityGpus: number }>(UTILIZATION_SQL, [gpuType, from, to, buckets]);
  return rows.map((r) => ({ at: new Date(r.at), allocatedGpus: Math.round(Number(r.allocatedGpus) * 1000) / 1000, capacityGpus: r.capacityGpus }));
}
