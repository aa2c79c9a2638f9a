/**
 * GPU placement as pure functions over plain data: which node a job goes to, which of its GPUs
 * it gets, and what to tell the admin when nothing fits. The repository feeds them rows and
 * writes their answers; the database's unique index on held (node, index) pairs is the backstop.
 */
import { GpuNodeState } from './gpu-node.entity.js';

/** A node as placement sees it: its size, its state and how many of its GPUs are held. */
export interface NodeCapacity {
  id: string;
  name: string;
  gpuType: string;
  gpuCount: number;
  state: GpuNodeState;
  /** GPUs held by unfinished jobs. */
  held: number;
}

/** GPUs a new job could get on `node` now: none unless it is UP. */
export function freeOn(node: NodeCapacity): number {
  return node.state === GpuNodeState.UP ? Math.max(0, node.gpuCount - node.held) : 0;
}

/**
 * Best fit: of the UP nodes with at least `count` free GPUs, the one with the fewest free, so
 * that large blocks stay whole for large jobs; ties go to the name, so placement is repeatable.
 */
export function bestFit(nodes: readonly NodeCapacity[], count: number): NodeCapacity | null {
  let best: NodeCapacity | null = null;
  for (const node of nodes) {
    const free = freeOn(node);
    if (free < count) continue;
    if (best === null || free < freeOn(best) || (free === freeOn(best) && node.name < best.name)) best = node;
  }
  return best;
}

/** What a refused start reports: the most GPUs free on one node, and free in all, of the type. */
export interface Shortfall {
  freeOnBestNode: number;
  freeTotal: number;
}

export function shortfall(nodes: readonly NodeCapacity[]): Shortfall {
  let freeOnBestNode = 0;
  let freeTotal = 0;
  for (const node of nodes) {
    const free = freeOn(node);
    freeOnBestNode = Math.max(freeOnBestNode, free);
    freeTotal += free;
  }
  return { freeOnBestNode, freeTotal };
}

/**
 * The `count` lowest GPU indices of a `gpuCount`-GPU node that `held` does not contain, or null
 * when fewer are free. Low indices first, like CUDA_VISIBLE_DEVICES lists them.
 */
export function pickIndices(gpuCount: number, held: Iterable<number>, count: number): number[] | null {
  const taken = new Set(held);
  const picked: number[] = [];
  for (let index = 0; index < gpuCount && picked.length < count; index += 1) {
    if (!taken.has(index)) picked.push(index);
  }
  return picked.length === count ? picked : null;
}

/** The node names `GPU_INVENTORY` creates: `a100-1`, `a100-2`, … for each type, in order. */
export function inventoryNodes(
  inventory: readonly { gpuType: string; nodes: number; gpusPerNode: number }[],
): { name: string; gpuType: string; gpuCount: number }[] {
  const numbered = new Map<string, number>();
  return inventory.flatMap(({ gpuType, nodes, gpusPerNode }) =>
    Array.from({ length: nodes }, () => {
      const prefix = gpuType.toLowerCase().replace(/[^a-z0-9-]/g, '-');
      const n = (numbered.get(prefix) ?? 0) + 1;
      numbered.set(prefix, n);
      return { name: `${prefix}-${n}`, gpuType, gpuCount: gpusPerNode };
    }),
  );
}
