import type { MessageKey, MessageParams } from '../../i18n';
import type { CreateJobInput } from '../../generated/graphql';

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
  /** gpuCount × hours, or null while either is missing or invalid. */
  gpuHours: number | null;
  /** What would remain of the month's quota after this job, or null without a cost. */
  remainingAfter: number | null;
  /** Set when the job cannot fit in what remains: says how much remains. */
  quotaError: FormMessage | null;
  /** The input to send, when everything passed. */
  input: CreateJobInput | null;
}

export const MAX_JOB_NAME_LENGTH = 120;
/** The server keeps GPU-hours to four decimal places. */
const GPU_HOUR_FACTOR = 10 ** 4;

function toNumber(value: number | string | null): number | null {
  if (value === null || value === '') return null;
  const number = typeof value === 'number' ? value : Number(value);
  return Number.isFinite(number) ? number : null;
}

/** The GPU-hours a job reserves: gpuCount × hours, as the server rounds it. */
export function gpuHoursFor(gpuCount: number, hours: number): number {
  return Math.round(gpuCount * hours * GPU_HOUR_FACTOR) / GPU_HOUR_FACTOR;
}

/** Checks the submit form against the remaining quota (null while it is unknown). */
export function checkJobForm(values: JobFormValues, remainingGpuHours: number | null): JobFormCheck {
  const errors: JobFormCheck['errors'] = {};
  const name = values.name.trim();
  if (!name) errors.name = { key: 'submit.errors.nameRequired' };
  else if ([...name].length > MAX_JOB_NAME_LENGTH) errors.name = { key: 'submit.errors.nameTooLong', params: { max: MAX_JOB_NAME_LENGTH } };

  if (!values.gpuType) errors.gpuType = { key: 'submit.errors.gpuTypeRequired' };

  const gpuCount = toNumber(values.gpuCount);
  if (gpuCount === null) errors.gpuCount = { key: 'submit.errors.gpuCountRequired' };
  else if (!Number.isInteger(gpuCount) || gpuCount < 1) errors.gpuCount = { key: 'submit.errors.gpuCountInvalid' };

  const hours = toNumber(values.hours);
  if (hours === null) errors.hours = { key: 'submit.errors.hoursRequired' };
  else if (hours <= 0) errors.hours = { key: 'submit.errors.hoursInvalid' };

  const gpuHours = errors.gpuCount || errors.hours || gpuCount === null || hours === null ? null : gpuHoursFor(gpuCount, hours);
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
