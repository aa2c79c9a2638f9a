import type { MessageKey, MessageParams } from '../../i18n';
import type { CreateJobInput, GpuPoolFieldsFragment } from '../../generated/graphql';

/** The submit form's inputs as typed (number inputs are empty strings or null while blank). */
export interface JobFormValues {
  name: string;
  gpuType: string;
  gpuCount: number | string | null;
  hours: number | string | null;
}

export type JobFormField = 'name' | 'gpuType' | 'gpuCount' | 'hours';

/** A message to show, as a translation key and its parameters. */
export interface FormMessage {
  key: MessageKey;
  params?: MessageParams;
}

/** What the form knows before sending: per-field problems, the cost and whether it fits. */
export interface JobFormCheck {
  errors: Partial<Record<JobFormField, FormMessage>>;
  /** gpuCount × hours × the type's billing weight, or null while either is missing or invalid. */
  gpuHours: number | null;
  /** What would remain of the month's quota after this job, or null without a cost. */
  remainingAfter: number | null;
  /** Set when the job cannot fit in what remains: says how much remains. */
  quotaError: FormMessage | null;
  /** The input to send, when everything passed. */
  input: CreateJobInput | null;
}

/** What the cluster offers a job of one GPU type now. */
export interface GpuTypeCapacity {
  gpuType: string;
  /** Unheld GPUs of UP nodes. */
  freeGpus: number;
  /** GPUs of the type's largest node: no job of the type can ask for more. */
  largestNodeGpus: number;
}

/** The capacity of `gpuType` in `pools`, or null while the pools are unknown or the type has none. */
export function capacityFor(pools: readonly GpuPoolFieldsFragment[] | null | undefined, gpuType: string): GpuTypeCapacity | null {
  const pool = pools?.find((p) => p.gpuType === gpuType);
  return pool ? { gpuType, freeGpus: pool.freeGpus, largestNodeGpus: pool.largestNodeGpus } : null;
}

export const MAX_JOB_NAME_LENGTH = 120;
/** The server keeps GPU-hours to four decimal places. */
const GPU_HOUR_FACTOR = 10 ** 4;

function toNumber(value: number | string | null): number | null {
  if (value === null || value === '') return null;
  const number = typeof value === 'number' ? value : Number(value);
  return Number.isFinite(number) ? number : null;
}

/**
 * The GPU-hours a job reserves: gpuCount × hours × the billing weight of its GPU type (1 unless
 * the site prices types differently), as the server rounds it.
 */
export function gpuHoursFor(gpuCount: number, hours: number, weight = 1): number {
  return Math.round(gpuCount * hours * weight * GPU_HOUR_FACTOR) / GPU_HOUR_FACTOR;
}

/** The billing weight of `gpuType` in `weights`; 1 while unknown or for a type not listed. */
export function weightFor(weights: readonly { gpuType: string; weight: number }[] | null | undefined, gpuType: string): number {
  return weights?.find((w) => w.gpuType === gpuType)?.weight ?? 1;
}

/**
 * Checks the submit form against the remaining quota and the chosen type's largest node (each
 * null while unknown: nothing is refused for it then). A job runs on one node, so a count larger
 * than the largest node could never start; the server refuses it too.
 */
export function checkJobForm(
  values: JobFormValues,
  remainingGpuHours: number | null,
  capacity: GpuTypeCapacity | null = null,
  weight = 1,
): JobFormCheck {
  const errors: JobFormCheck['errors'] = {};
  const name = values.name.trim();
  if (!name) errors.name = { key: 'submit.errors.nameRequired' };
  else if ([...name].length > MAX_JOB_NAME_LENGTH) errors.name = { key: 'submit.errors.nameTooLong', params: { max: MAX_JOB_NAME_LENGTH } };

  if (!values.gpuType) errors.gpuType = { key: 'submit.errors.gpuTypeRequired' };

  const gpuCount = toNumber(values.gpuCount);
  if (gpuCount === null) errors.gpuCount = { key: 'submit.errors.gpuCountRequired' };
  else if (!Number.isInteger(gpuCount) || gpuCount < 1) errors.gpuCount = { key: 'submit.errors.gpuCountInvalid' };
  else if (capacity !== null && capacity.gpuType === values.gpuType && gpuCount > capacity.largestNodeGpus) {
    errors.gpuCount = { key: 'submit.errors.gpuCountTooLarge', params: { type: capacity.gpuType, max: capacity.largestNodeGpus } };
  }

  const hours = toNumber(values.hours);
  if (hours === null) errors.hours = { key: 'submit.errors.hoursRequired' };
  else if (hours <= 0) errors.hours = { key: 'submit.errors.hoursInvalid' };

  // A count too large for any node still has a cost: the preview shows it beside the refusal.
  const countValid = gpuCount !== null && Number.isInteger(gpuCount) && gpuCount >= 1;
  const gpuHours = !countValid || errors.hours || gpuCount === null || hours === null ? null : gpuHoursFor(gpuCount, hours, weight);
  const remainingAfter = gpuHours === null || remainingGpuHours === null ? null : Math.round((remainingGpuHours - gpuHours) * GPU_HOUR_FACTOR) / GPU_HOUR_FACTOR;
  const quotaError =
    gpuHours !== null && remainingGpuHours !== null && gpuHours > remainingGpuHours
      ? { key: 'submit.errors.quota' as const, params: { needed: gpuHours, remaining: remainingGpuHours } }
      : null;

  const valid = Object.keys(errors).length === 0 && quotaError === null && gpuCount !== null && hours !== null;
  return {
    errors,
    gpuHours,
    remainingAfter,
    quotaError,
    input: valid ? { name, gpuType: values.gpuType, gpuCount, hours } : null,
  };
}
