import { EntityRepository, LockMode } from '@mikro-orm/postgresql';
import type { GpuNode, GpuNodeState } from './gpu-node.entity.js';
import type { NodeCapacity } from './placement.js';

/** A row of `CAPACITIES_SQL`. */
export interface CapacityRow {
  id: string;
  name: string;
  gpu_type: string;
  gpu_count: number;
  state: GpuNodeState;
  held: number;
}

/*
 * The texts of an allocation's statements (`?` placeholders), exported so that the benchmark's
 * raw baseline sends the very same statements.
 */
export const LOCK_TYPE_SQL = 'select pg_advisory_xact_lock(hashtext(?))';
export const CAPACITIES_SQL = `select n.id, n.name, n.gpu_type, n.gpu_count, n.state,
              (select count(*) from gpu_allocations a where a.node_id = n.id and a.released_at is null)::int as held
         from gpu_nodes n
        where n.removed_at is null and n.gpu_type = ?`;
export const HELD_INDICES_SQL = 'select gpu_index from gpu_allocations where node_id = ? and released_at is null order by gpu_index';
export const ALLOCATE_SQL = `insert into gpu_allocations (job_id, gpu_index, node_id, allocated_at)
       select ?, i, ?, ? from unnest(?::smallint[]) as i`;

/** The advisory lock key of a GPU type's allocations. */
export function typeLockKey(gpuType: string): string {
  return `gpuaas:gpu-type:${gpuType.toLowerCase()}`;
}

/**
 * The inventory's writes and the reads they depend on, inside the caller's unit of work.
 *
 * Locking, and why it cannot deadlock: allocations of one GPU type take that type's advisory
 * lock first (`lockType`), so they run one at a time and each sees every earlier one committed;
 * then the one node chosen (`lockLive`). State changes, resizes and removals take only the
 * node's row lock, then the rows of the jobs running there. So a transaction holding a node
 * waits only for jobs to finish (which lock no node), and one holding the type lock waits only
 * for a node: no cycle. Every read of held GPUs is a new statement after the locks, which under
 * READ COMMITTED sees everything committed by whoever held them before.
 */
export class GpuNodeRepository extends EntityRepository<GpuNode> {
  /** Serialises the allocations of one GPU type until the transaction ends. */
  async lockType(gpuType: string): Promise<void> {
    await this.getEntityManager().execute(LOCK_TYPE_SQL, [typeLockKey(gpuType)]);
  }

  /** A live (not removed) node, its row locked until the transaction ends. */
  lockLive(id: string): Promise<GpuNode | null> {
    return this.findOne({ id, removedAt: null }, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
  }

  /** The live nodes of a type with how many GPUs each holds now (a snapshot: lock before relying on it). */
  async capacities(gpuType: string): Promise<NodeCapacity[]> {
    const rows = await this.getEntityManager().execute<CapacityRow[]>(CAPACITIES_SQL, [gpuType]);
    return rows.map((r) => ({ id: r.id, name: r.name, gpuType: r.gpu_type, gpuCount: r.gpu_count, state: r.state, held: r.held }));
  }

  /** The GPU indices of a node that unfinished jobs hold. */
  async heldIndices(nodeId: string): Promise<number[]> {
    const rows = await this.getEntityManager().execute<{ gpu_index: number }[]>(HELD_INDICES_SQL, [nodeId]);
    return rows.map((r) => r.gpu_index);
  }

  /**
   * Records that `jobId` holds `indices` of `nodeId` from `at`. The caller holds the node's lock
   * and chose free indices; should it not have, the unique index on held pairs refuses the insert.
   */
  async allocate(jobId: string, nodeId: string, indices: readonly number[], at: Date): Promise<void> {
    await this.getEntityManager().execute(ALLOCATE_SQL, [jobId, nodeId, at, `{${indices.join(',')}}`]);
  }

  /** Frees the GPUs `jobId` holds, as of `at`; the rows stay as its history. */
  async release(jobId: string, at: Date): Promise<void> {
    await this.getEntityManager().execute(
      'update gpu_allocations set released_at = ? where job_id = ? and released_at is null',
      [at, jobId],
    );
  }

  /** Jobs holding GPUs of a node, in id order (the order their rows are locked in). */
  async holders(nodeId: string): Promise<string[]> {
    const rows = await this.getEntityManager().execute<{ job_id: string }[]>(
      'select distinct job_id from gpu_allocations where node_id = ? and released_at is null order by job_id',
      [nodeId],
    );
    return rows.map((r) => r.job_id);
  }

  /**
   * Creates `nodes` if the inventory has never had a node (a removed node counts: the inventory
   * is the admins' from then on). An advisory lock keeps processes starting together from
   * seeding twice.
   *
   * @returns whether it seeded.
   */
  async seedIfEmpty(nodes: readonly { name: string; gpuType: string; gpuCount: number }[]): Promise<boolean> {
    const em = this.getEntityManager();
    return em.transactional(async (tx) => {
      await tx.execute("select pg_advisory_xact_lock(hashtext('gpuaas:inventory-seed'))");
      const [{ n }] = await tx.execute<[{ n: number }]>('select count(*)::int as n from gpu_nodes');
      if (n > 0 || nodes.length === 0) return false;
      await tx.execute(
        `insert into gpu_nodes (id, name, gpu_type, gpu_count, state, created_at)
         select gen_random_uuid(), name, gpu_type, gpu_count, 'UP', now()
           from unnest(?::text[], ?::text[], ?::int[]) as s(name, gpu_type, gpu_count)`,
        [pgArray(nodes.map((x) => x.name)), pgArray(nodes.map((x) => x.gpuType)), `{${nodes.map((x) => x.gpuCount).join(',')}}`],
      );
      return true;
    });
  }

  /** Running jobs that hold no GPU (started before the inventory existed), oldest start first. */
  async unplacedRunning(): Promise<{ id: string; gpuType: string; gpuCount: number; startedAt: Date }[]> {
    const rows = await this.getEntityManager().execute<{ id: string; gpu_type: string; gpu_count: number; started_at: Date }[]>(
      `select j.id, j.gpu_type, j.gpu_count, j.started_at from jobs j
        where j.status = 'RUNNING' and not exists (select 1 from gpu_allocations a where a.job_id = j.id)
        order by j.started_at, j.id`,
    );
    return rows.map((r) => ({ id: r.id, gpuType: r.gpu_type, gpuCount: r.gpu_count, startedAt: new Date(r.started_at) }));
  }
}

/** A PostgreSQL array literal of strings (names and types are validated: no quotes or commas). */
function pgArray(values: readonly string[]): string {
  return `{${values.map((v) => `"${v}"`).join(',')}}`;
}
