import type { GpuPoolFieldsFragment } from '../../generated/graphql';

/** What a pool's GPUs are doing, in the order the bar shows them. */
export type PoolSegmentKind = 'allocated' | 'free' | 'draining' | 'down';
export const POOL_SEGMENT_KINDS: readonly PoolSegmentKind[] = ['allocated', 'free', 'draining', 'down'];

export interface PoolSegment {
  kind: PoolSegmentKind;
  gpus: number;
  /** Share of the pool's GPUs, 0–100. */
  percent: number;
}

/**
 * A pool's GPUs split into allocated, free, draining (unheld on DRAINING nodes) and down (on DOWN
 * nodes). The four add up to `totalGpus`: the server's free + allocated + draining = up.
 */
export function poolSegments(pool: Pick<GpuPoolFieldsFragment, 'totalGpus' | 'upGpus' | 'allocatedGpus' | 'freeGpus' | 'drainingGpus'>): PoolSegment[] {
  const gpus: Record<PoolSegmentKind, number> = {
    allocated: pool.allocatedGpus,
    free: pool.freeGpus,
    draining: pool.drainingGpus,
    down: Math.max(0, pool.totalGpus - pool.upGpus),
  };
  const total = POOL_SEGMENT_KINDS.reduce((sum, kind) => sum + gpus[kind], 0);
  return POOL_SEGMENT_KINDS.map((kind) => ({ kind, gpus: gpus[kind], percent: total === 0 ? 0 : (gpus[kind] / total) * 100 }));
}
