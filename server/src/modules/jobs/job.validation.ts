import type { Config } from '../../config.js';
import { badUserInput } from '../../errors/app-error.js';
import { GPU_HOUR_SCALE, billingWeightOf, reservationFor } from '../quotas/quota-math.js';

/** A job request as a client sends it. */
export interface JobRequest {
  name: string;
  gpuType?: string | null;
  gpuCount: number;
  hours: number;
}

/** A job request that passed validation, with its reservation worked out. */
export interface ValidJobRequest {
  name: string;
  gpuType: string;
  gpuCount: number;
  hours: number;
  /** The billing weight of its GPU type now (GPU_BILLING_WEIGHTS), stored on the job. */
  billingWeight: number;
  /** gpuCount × hours × billingWeight: what it reserves. */
  gpuHours: number;
}

export const MAX_JOB_NAME_LENGTH = 120;
export const MAX_REASON_LENGTH = 1000;

/** What a request is checked against: the configured limits and the GPU catalogue. */
export interface Limits extends Pick<Config, 'maxGpuCount' | 'maxHours'> {
  /** Each GPU type that has a node, with the GPU count of its largest node, by type name. */
  catalogue: ReadonlyMap<string, number>;
  /** GPU_BILLING_WEIGHTS; every type weighs 1 when absent. */
  billingWeights?: Config['billingWeights'];
}

/**
 * Validates a job request against the GPU catalogue and the configured limits. A job runs on one
 * node, so it may not ask for more GPUs than the largest node of its type has.
 *
 * @throws AppError BAD_USER_INPUT naming the first field that fails and why.
 */
export function validateJobRequest(input: JobRequest, limits: Limits): ValidJobRequest {
  const name = input.name.trim();
  const length = [...name].length; // characters, as the varchar column counts them, not UTF-16 units
  if (length < 1 || length > MAX_JOB_NAME_LENGTH) {
    throw badUserInput('name', `must be 1 to ${MAX_JOB_NAME_LENGTH} characters long`);
  }
  // Control characters would corrupt logs and tables; printable Unicode is welcome.
  if (/\p{Cc}/u.test(name)) throw badUserInput('name', 'must not contain control characters');

  const types = [...limits.catalogue.keys()];
  if (types.length === 0) throw badUserInput('gpuType', 'the cluster has no GPU nodes yet');
  const requestedType = input.gpuType?.trim() || types[0]!;
  const gpuType = types.find((t) => t.toLowerCase() === requestedType.toLowerCase());
  if (gpuType === undefined) {
    throw badUserInput('gpuType', `must be one of ${types.join(', ')}`);
  }

  if (!Number.isInteger(input.gpuCount) || input.gpuCount < 1 || input.gpuCount > limits.maxGpuCount) {
    throw badUserInput('gpuCount', `must be an integer from 1 to ${limits.maxGpuCount}`);
  }
  const largest = limits.catalogue.get(gpuType)!;
  if (input.gpuCount > largest) {
    throw badUserInput('gpuCount', `the largest ${gpuType} node has ${largest} GPU${largest === 1 ? '' : 's'}`);
  }

  const factor = 10 ** GPU_HOUR_SCALE;
  const hours = Math.round(input.hours * factor) / factor;
  if (!Number.isFinite(input.hours) || hours <= 0 || input.hours > limits.maxHours) {
    throw badUserInput('hours', `must be more than 0 and at most ${limits.maxHours}`);
  }

  const billingWeight = billingWeightOf(limits.billingWeights ?? [], gpuType);
  return { name, gpuType, gpuCount: input.gpuCount, hours, billingWeight, gpuHours: reservationFor(input.gpuCount, hours, billingWeight) };
}

/** Checks an optional free-text reason (reject, fail). */
export function validateReason(reason: string | null | undefined): string | null {
  const trimmed = reason?.trim();
  if (!trimmed) return null;
  if ([...trimmed].length > MAX_REASON_LENGTH) {
    throw badUserInput('reason', `must be at most ${MAX_REASON_LENGTH} characters long`);
  }
  // Line breaks and tabs are fine in a reason; other control characters are not.
  if (/[^\P{Cc}\n\r\t]/u.test(trimmed)) throw badUserInput('reason', 'must not contain control characters');
  return trimmed;
}
