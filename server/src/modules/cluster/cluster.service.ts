import type { EntityManager } from '@mikro-orm/postgresql';
import type { SqlRunner } from '../../db/sql.js';
import { AppError, badUserInput } from '../../errors/app-error.js';
import { isUuid } from '../../pagination.js';
import { requireAdmin, requireViewer, type Viewer } from '../auth/viewer.js';
import { Job } from '../jobs/job.entity.js';
import { JobStatus } from '../jobs/job-status.js';
import type { CommitListener, JobService } from '../jobs/job.service.js';
import { findManyWithOwner, type JobRecord } from '../jobs/job.queries.js';
import { clusterErrors } from './cluster.errors.js';
import * as clusterQueries from './cluster.queries.js';
import type { AllocationRecord, NodeRecord, PoolRecord, UtilizationRecord } from './cluster.queries.js';
import type { NotificationAnnouncer, NotificationWriter } from '../notifications/notification-writer.js';
import { nodeDownIntent } from '../notifications/notification-plan.js';
import type { GpuCatalogue } from './gpu-catalogue.js';
import { GpuNode, GpuNodeState } from './gpu-node.entity.js';
import { validateGpuType, validateGpusPerNode, validateNodeName } from './gpu-node.validation.js';
import { allocateGpus } from './gpu-allocation.js';
import { inventoryNodes } from './placement.js';

/** PostgreSQL's SQLSTATE for a unique index that refused a row. */
const UNIQUE_VIOLATION = '23505';
/** Most buckets one utilization query may ask for. */
export const MAX_UTILIZATION_BUCKETS = 1000;
/** Longest window one utilization query may cover. */
const MAX_UTILIZATION_DAYS = 400;

/** Told after a committed change of the inventory, so every process hears of it. */
export interface ClusterListener {
  clusterChanged(): void;
}

export interface AddNodeRequest {
  name: string;
  gpuType: string;
  gpuCount: number;
}

export interface UpdateNodeRequest {
  state?: GpuNodeState | null;
  gpuCount?: number | null;
}

/** The GPU inventory: nodes and their states, pools, utilization, and where jobs run. */
export class ClusterService {
  constructor(
    private readonly em: EntityManager,
    private readonly sql: SqlRunner,
    private readonly jobs: JobService,
    private readonly catalogue: GpuCatalogue,
    private readonly events: ClusterListener & CommitListener & NotificationAnnouncer,
    /** Announces a node going DOWN to the admins, in the transaction that marks it. */
    private readonly notifications: NotificationWriter,
  ) {}

  /** Every GPU type's pool (anyone signed in). */
  pools(viewer: Viewer | null): Promise<PoolRecord[]> {
    requireViewer(viewer);
    return clusterQueries.pools(this.sql);
  }

  /** Every live node with its slots (admins). */
  nodes(viewer: Viewer | null): Promise<NodeRecord[]> {
    requireAdmin(viewer);
    return clusterQueries.nodes(this.sql);
  }

  /** Nodes by id, for allocations (removed nodes included). */
  async nodesById(ids: readonly string[]): Promise<Map<string, NodeRecord>> {
    return new Map((await clusterQueries.nodesById(this.sql, ids)).map((n) => [n.id, n]));
  }

  /** Where jobs run or ran, by job id. */
  allocations(jobIds: readonly string[]): Promise<Map<string, AllocationRecord>> {
    return clusterQueries.allocations(this.sql, jobIds);
  }

  /** Jobs holding GPUs, by id, for the admins' node view. */
  async holdingJobs(ids: readonly string[]): Promise<Map<string, JobRecord>> {
    return new Map((await findManyWithOwner(this.sql, ids)).map((j) => [j.id, j]));
  }

  /** Allocated GPUs averaged over `buckets` equal parts of [from, to) (anyone signed in). */
  async utilization(viewer: Viewer | null, gpuType: string | null, from: Date, to: Date, buckets: number): Promise<UtilizationRecord[]> {
    requireViewer(viewer);
    if (!(from.getTime() < to.getTime())) throw badUserInput('to', 'must be after from');
    if (to.getTime() - from.getTime() > MAX_UTILIZATION_DAYS * 86_400_000) {
      throw badUserInput('from', `the window may span at most ${MAX_UTILIZATION_DAYS} days`);
    }
    if (!Number.isInteger(buckets) || buckets < 1 || buckets > MAX_UTILIZATION_BUCKETS) {
      throw badUserInput('buckets', `must be an integer from 1 to ${MAX_UTILIZATION_BUCKETS}`);
    }
    let type: string | null = null;
    if (gpuType != null) {
      type = [...(await this.catalogue.get()).keys()].find((t) => t.toLowerCase() === gpuType.trim().toLowerCase()) ?? null;
      if (type === null) throw badUserInput('gpuType', 'no node has GPUs of this type');
    }
    return clusterQueries.utilization(this.sql, type, from, to, buckets);
  }

  /** Adds a node, UP and empty (admins). */
  async addNode(viewer: Viewer | null, input: AddNodeRequest): Promise<NodeRecord> {
    requireAdmin(viewer);
    const name = validateNodeName(input.name);
    const gpuType = validateGpuType(input.gpuType, (await this.catalogue.get()).keys());
    const gpuCount = validateGpusPerNode(input.gpuCount);
    const node = this.em.create(GpuNode, { name, gpuType, gpuCount });
    try {
      await this.em.persistAndFlush(node);
    } catch (error) {
      if ((error as { code?: string }).code === UNIQUE_VIOLATION) throw clusterErrors.nameTaken(name);
      throw error;
    }
    this.changed();
    return this.reread(node.id);
  }

  /**
   * Changes a node's state or size (admins). Shrinking gives up only free indices. Marking a node
   * DOWN fails every job running there ("node <name> went down"), charged for the hours run and
   * with its GPUs freed, in the same transaction as the state change. The node's row is locked
   * first, so no job can start there meanwhile; jobs are then locked in id order, each waiting
   * for a simulator step that holds it and re-checked after. Going DOWN also notifies every admin
   * (and their webhooks, and by e-mail), written in the same transaction.
   */
  async updateNode(viewer: Viewer | null, id: string, input: UpdateNodeRequest): Promise<NodeRecord> {
    const admin = requireAdmin(viewer);
    const gpuCount = input.gpuCount == null ? null : validateGpusPerNode(input.gpuCount);
    if (!isUuid(id)) throw clusterErrors.nodeNotFound();
    const node = await this.em.transactional(async (tx) => {
      const repo = tx.getRepository(GpuNode);
      const locked = await repo.lockLive(id);
      if (locked === null) throw clusterErrors.nodeNotFound();
      if (gpuCount !== null && gpuCount < locked.gpuCount) {
        const busy = (await repo.heldIndices(locked.id)).filter((i) => i >= gpuCount);
        if (busy.length > 0) throw clusterErrors.gpusInUse(locked.name, busy);
      }
      if (gpuCount !== null) locked.gpuCount = gpuCount;
      let downed = false;
      if (input.state != null && input.state !== locked.state) {
        locked.state = input.state;
        if (input.state === GpuNodeState.DOWN) {
          const failed = await this.failJobsOn(tx, locked, admin.id);
          await tx.flush();
          // Written with the change: the notification commits, or rolls back, with it.
          const intent = nodeDownIntent({ id: locked.id, name: locked.name, gpuType: locked.gpuType, failedJobs: failed }, new Date());
          downed = (await this.notifications.write(tx, intent)).notified > 0;
        }
      }
      await tx.flush();
      return { locked, downed };
    }).then(({ locked, downed }) => {
      if (downed) this.events.notificationsWritten();
      return locked;
    });
    this.changed();
    this.events.committed();
    return this.reread(node.id);
  }

  /** Fails every job running on `node`; returns how many. */
  private async failJobsOn(tx: EntityManager, node: GpuNode, actorId: string): Promise<number> {
    const reason = `node ${node.name} went down`;
    let failed = 0;
    for (const jobId of await tx.getRepository(GpuNode).holders(node.id)) {
      const job = await tx.getRepository(Job).lockForUpdate(jobId);
      if (job?.status !== JobStatus.RUNNING) continue;
      await this.jobs.apply(tx, job, 'fail', actorId, reason);
      failed += 1;
    }
    return failed;
  }

  /** Removes a node that runs nothing (admins); its row stays for the history of its jobs. */
  async removeNode(viewer: Viewer | null, id: string): Promise<boolean> {
    requireAdmin(viewer);
    if (!isUuid(id)) throw clusterErrors.nodeNotFound();
    await this.em.transactional(async (tx) => {
      const repo = tx.getRepository(GpuNode);
      const node = await repo.lockLive(id);
      if (node === null) throw clusterErrors.nodeNotFound();
      const holders = await repo.holders(node.id);
      if (holders.length > 0) throw clusterErrors.nodeBusy(node.name, holders.length);
      node.removedAt = new Date();
      // It runs nothing and never will again: a finished job's allocation shows it so.
      node.state = GpuNodeState.DOWN;
      await tx.flush();
    });
    this.changed();
    return true;
  }

  /**
   * Creates the first inventory from GPU_INVENTORY when there has never been a node, and then
   * places the running jobs that hold no GPU (they started before the inventory existed) on the
   * best fit, oldest first; those that fit nowhere stay unplaced, hold nothing and finish as
   * before. Later starts leave them alone: a job is not moved onto GPUs in the middle of its run.
   *
   * @returns how many nodes were created and jobs placed.
   */
  async seed(inventory: readonly { gpuType: string; nodes: number; gpusPerNode: number }[]): Promise<{ nodes: number; placed: number }> {
    const repo = this.em.getRepository(GpuNode);
    const nodes = inventoryNodes(inventory);
    const seeded = await repo.seedIfEmpty(nodes);
    if (!seeded) return { nodes: 0, placed: 0 };
    let placed = 0;
    // The smallest request of each type that found no room: larger ones need not try.
    const refused = new Map<string, number>();
    for (const job of await repo.unplacedRunning()) {
      if (job.gpuCount >= (refused.get(job.gpuType) ?? Infinity)) continue;
      try {
        await this.em.transactional((tx) => allocateGpus(tx, job, job.startedAt));
        placed += 1;
      } catch (error) {
        // INSUFFICIENT_CAPACITY: it fits nowhere now, so it stays unplaced and finishes normally.
        if (!(error instanceof AppError)) throw error;
        refused.set(job.gpuType, Math.min(job.gpuCount, refused.get(job.gpuType) ?? Infinity));
      }
    }
    this.changed();
    return { nodes: nodes.length, placed };
  }

  private changed(): void {
    this.catalogue.invalidate();
    this.events.clusterChanged();
  }

  /** A node as committed, read back for the answer. */
  private async reread(id: string): Promise<NodeRecord> {
    const [node] = await clusterQueries.nodesById(this.sql, [id]);
    if (node === undefined) throw clusterErrors.nodeNotFound();
    return node;
  }
}
