import type { EntityManager } from '@mikro-orm/postgresql';
import { isUuid } from '../../pagination.js';
import { clusterErrors } from './cluster.errors.js';
import { GpuNode, GpuNodeState } from './gpu-node.entity.js';
import { bestFit, freeOn, pickIndices, shortfall } from './placement.js';

/** What a job asks of the inventory. */
export interface GpuRequest {
  id: string;
  gpuType: string;
  gpuCount: number;
}

/** Where a started job runs. */
export interface Placement {
  node: GpuNode;
  gpuIndices: number[];
  /**
   * When the allocation began. With `at` 'now', the clock is read once the locks are held and the
   * GPUs found free: a job that freed them stamped its release before it committed, and this start
   * could only see them free after that commit, so the history never shows one GPU held twice.
   */
  at: Date;
}

/**
 * Gives a job `gpuCount` GPUs of its type on one UP node, inside `tx`: the node named, or the
 * best fit. Under concurrency: the type's lock makes allocations of the type take turns, so the
 * capacities read after it are exact; the chosen node's row is then locked and re-read, because
 * an admin may have drained, downed or shrunk it in between (that takes only the node's lock);
 * then the next candidate is tried. Each node is tried once, so the loop ends. See
 * `GpuNodeRepository` for why these locks cannot deadlock. The unique index on held (node,
 * index) pairs makes a double allocation impossible even if this logic were wrong.
 *
 * @throws AppError INSUFFICIENT_CAPACITY when nothing fits (nothing is written);
 *   BAD_USER_INPUT when `nodeId` names no node or one of another type.
 */
export async function allocateGpus(tx: EntityManager, job: GpuRequest, at: Date | 'now', nodeId?: string | null): Promise<Placement> {
  const repo = tx.getRepository(GpuNode);
  await repo.lockType(job.gpuType);
  if (nodeId != null) {
    const node = isUuid(nodeId) ? await repo.lockLive(nodeId) : null;
    if (node === null) throw clusterErrors.unknownNode();
    if (node.gpuType !== job.gpuType) throw clusterErrors.wrongType(node.name, node.gpuType, job.gpuType);
    const held = await repo.heldIndices(node.id);
    const gpuIndices = node.state === GpuNodeState.UP ? pickIndices(node.gpuCount, held, job.gpuCount) : null;
    if (gpuIndices === null) {
      const free = freeOn({ ...node, held: held.length });
      const { freeTotal } = shortfall(await repo.capacities(job.gpuType));
      throw clusterErrors.insufficientCapacity(job.gpuType, job.gpuCount, { freeOnBestNode: free, freeTotal });
    }
    const since = at === 'now' ? new Date() : at;
    await repo.allocate(job.id, node.id, gpuIndices, since);
    return { node, gpuIndices, at: since };
  }

  const tried = new Set<string>();
  for (;;) {
    const nodes = await repo.capacities(job.gpuType);
    const choice = bestFit(nodes.filter((n) => !tried.has(n.id)), job.gpuCount);
    if (choice === null) throw clusterErrors.insufficientCapacity(job.gpuType, job.gpuCount, shortfall(nodes));
    tried.add(choice.id);
    const node = await repo.lockLive(choice.id);
    if (node === null || node.state !== GpuNodeState.UP) continue;
    const gpuIndices = pickIndices(node.gpuCount, await repo.heldIndices(node.id), job.gpuCount);
    if (gpuIndices === null) continue;
    const since = at === 'now' ? new Date() : at;
    await repo.allocate(job.id, node.id, gpuIndices, since);
    return { node, gpuIndices, at: since };
  }
}

/** Frees the GPUs a finishing job holds, inside the transaction that finishes it. */
export function releaseGpus(tx: EntityManager, jobId: string, at: Date): Promise<void> {
  return tx.getRepository(GpuNode).release(jobId, at);
}
