import { createHash, randomBytes } from 'node:crypto';
import type { SimulatorConfig } from '../../config.js';
import { SimOutcome } from './job.entity.js';

/** How a started job will end, drawn once at start and stored on the job. */
export interface SimulatedRun {
  outcome: SimOutcome;
  /** Simulated hours after which the job ends. */
  runHours: number;
  /** Why it fails; null for a success. */
  failReason: string | null;
}

/** Where a started job runs, so that a failure can name its own node and GPUs. */
export interface RunPlace {
  node: string;
  gpuIndices: readonly number[];
}

/**
 * What goes wrong on real GPU clusters, in the words their logs use. `{gpu}` becomes one of the
 * job's own GPU indices and `{node}` its node.
 */
export const FAILURE_REASONS: readonly string[] = [
  'CUDA error: out of memory on GPU {gpu} (tried to allocate 2.50 GiB)',
  'NCCL timeout: collective operation did not finish within 1800 s',
  'node lost: {node} stopped responding to heartbeats',
  'ECC error: uncorrectable memory error on GPU {gpu}',
  'Xid 79: GPU {gpu} has fallen off the bus',
  'process exited with code 137 (killed: {node} out of host memory)',
  'loss became NaN at step 41200; training aborted',
  'CUDA error: an illegal memory access was encountered on GPU {gpu}',
];

/** A failure reason with the job's place filled in; `gpuPick` in [0, 1) chooses which of its GPUs. */
export function failureReason(template: string, place: RunPlace, gpuPick: number): string {
  const gpu = place.gpuIndices[Math.floor(gpuPick * place.gpuIndices.length)] ?? place.gpuIndices[0] ?? 0;
  return template.replaceAll('{gpu}', String(gpu)).replaceAll('{node}', place.node);
}

/**
 * Three uniform numbers in [0, 1) for one job. With a seed they depend only on (seed, key), where
 * the key is the job's submission number: N jobs draw the same N runs in every test run,
 * whatever order they start in. Without a seed they are random.
 */
function uniforms(key: string, seed: string | undefined): [number, number, number, number] {
  const bytes = seed === undefined ? randomBytes(16) : createHash('sha256').update(`${seed}\u0000${key}`).digest();
  const u = (i: number) => bytes.readUInt32BE(i * 4) / 2 ** 32;
  return [u(0), u(1), u(2), u(3)];
}

/**
 * Draws a job's run (the README's "Simulator" paragraph, under "Architecture"): success with
 * probability `successRate` after 50–100 % of the requested hours; otherwise failure at a
 * uniformly random point with a realistic reason that names the job's own node and GPUs.
 */
export function drawRun(
  key: string,
  hours: number,
  sim: Pick<SimulatorConfig, 'successRate' | 'seed'>,
  place: RunPlace,
): SimulatedRun {
  const [pick, point, reason, gpu] = uniforms(key, sim.seed);
  const round = (h: number) => Math.max(0.0001, Math.round(h * 10_000) / 10_000);
  if (pick < sim.successRate) {
    return { outcome: SimOutcome.COMPLETED, runHours: round(hours * (0.5 + 0.5 * point)), failReason: null };
  }
  return {
    outcome: SimOutcome.FAILED,
    runHours: round(hours * point),
    failReason: failureReason(FAILURE_REASONS[Math.floor(reason * FAILURE_REASONS.length)]!, place, gpu),
  };
}
