/**
 * Quota arithmetic (the README's "Lifecycle and quota"). GPU-hours are kept to four decimal
 * places, in PostgreSQL `numeric` columns, so sums of reservations, charges and refunds are exact.
 */

/** GPU-hour amounts are rounded to this many decimal places everywhere. */
export const GPU_HOUR_SCALE = 4;

/** Rounds a GPU-hour amount to the stored precision. */
export function roundGpuHours(value: number): number {
  const factor = 10 ** GPU_HOUR_SCALE;
  return Math.round(value * factor) / factor;
}

/**
 * What a job reserves from its owner's quota: gpuCount × hours × the billing weight of its GPU
 * type (1 unless GPU_BILLING_WEIGHTS says otherwise, so the plain gpuCount × hours by default).
 */
export function reservationFor(gpuCount: number, hours: number, weight = 1): number {
  return roundGpuHours(gpuCount * hours * weight);
}

/** A GPU type's billing weight in `weights` (types compared without case); 1 for a type not named. */
export function billingWeightOf(weights: readonly { gpuType: string; weight: number }[], gpuType: string): number {
  const lower = gpuType.toLowerCase();
  return weights.find((w) => w.gpuType.toLowerCase() === lower)?.weight ?? 1;
}

/** The remaining GPU-hours of a month: never negative, even if a limit was lowered below use. */
export function remainingGpuHours(limit: number, used: number): number {
  return Math.max(0, roundGpuHours(limit - used));
}

/** The outcome of settling a finished job's reservation. */
export interface Settlement {
  /** GPU-hours the job is charged. */
  charged: number;
  /** GPU-hours given back to the month the job was created in. */
  refund: number;
}

/**
 * Settles a reservation of `gpuHours` for a job that ran `hoursRun` wall-clock hours on
 * `gpuCount` GPUs at billing weight `weight` (the one stored on the job at submission): the
 * charge, gpuCount × hoursRun × weight, is capped at the reservation and the rest is refunded. A
 * job that never started (`hoursRun` 0) is refunded whole.
 */
export function settle(gpuHours: number, gpuCount: number, hoursRun: number, weight = 1): Settlement {
  const charged = Math.min(gpuHours, reservationFor(gpuCount, Math.max(0, hoursRun), weight));
  return { charged, refund: roundGpuHours(gpuHours - charged) };
}

/** The calendar month (UTC) a moment belongs to, as `YYYY-MM`. */
export function monthOf(at: Date): string {
  return at.toISOString().slice(0, 7);
}
