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

/** What goes wrong on real GPU clusters, in the words their logs use. */
export const FAILURE_REASONS: readonly string[] = [
  'CUDA error: out of memory (tried to allocate 2.50 GiB)',
  'NCCL timeout: collective operation did not finish within 1800 s',
  'node lost: gpu node stopped responding to heartbeats',
  'ECC error: uncorrectable memory error on GPU 3',
  'Xid 79: GPU has fallen off the bus',
  'process exited with code 137 (killed: host out of memory)',
  'loss became NaN at step 41200; training aborted',
  'CUDA error: an illegal memory access was encountered',
];

/**
 * Three uniform numbers in [0, 1) for one job. With a seed they depend only on (seed, key), where
 * the key is the job's submission number: N jobs draw the same N runs in every test run,
 * whatever order they start in. Without a seed they are random.
 */
function uniforms(key: string, seed: string | undefined): [number, number, number] {
  const bytes = seed === undefined ? randomBytes(12) : createHash('sha256').update(`${seed}\u0000${key}`).digest();
  const u = (i: number) => bytes.readUInt32BE(i * 4) / 2 ** 32;
  return [u(0), u(1), u(2)];
}

/**
 * Draws a job's run (the README's "Simulator" paragraph, under "Architecture"): success with
 * probability `successRate` after 50–100 % of the requested hours; otherwise failure at a
 * uniformly random point with a realistic reason.
 */
export function drawRun(key: string, hours: number, sim: Pick<SimulatorConfig, 'successRate' | 'seed'>): SimulatedRun {
  const [pick, point, reason] = uniforms(key, sim.seed);
  const round = (h: number) => Math.max(0.0001, Math.round(h * 10_000) / 10_000);
  if (pick < sim.successRate) {
    return { outcome: SimOutcome.COMPLETED, runHours: round(hours * (0.5 + 0.5 * point)), failReason: null };
  }
  return {
    outcome: SimOutcome.FAILED,
    runHours: round(hours * point),
    failReason: FAILURE_REASONS[Math.floor(reason * FAILURE_REASONS.length)]!,
  };
}
