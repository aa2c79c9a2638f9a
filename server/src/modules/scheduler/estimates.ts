/**
 * A waiting job's estimate as clients see it: the plan's numbers, and a sentence for people.
 * The web app builds its own sentence in the reader's language from the same numbers.
 */
import { PendingReason, type JobPlan } from './planner.js';
import { SchedulingMode } from './scheduler-settings.js';

export interface Estimate {
  position: number;
  jobsAhead: number;
  startBy: Date | null;
  likelyStart: Date | null;
  reason: PendingReason;
  message: string;
  gpusFree: number;
  largestNodeGpus: number;
  plannedAt: Date;
}

/** 1st, 2nd, 3rd, 4th, 11th, 12th, 21st… */
export function ordinal(n: number): string {
  const tens = n % 100;
  if (tens >= 11 && tens <= 13) return `${n}th`;
  return `${n}${['th', 'st', 'nd', 'rd'][n % 10] ?? 'th'}`;
}

const gpus = (n: number) => `${n} GPU${n === 1 ? '' : 's'}`;

/** The sentence of an estimate, e.g. "2nd in the H100 queue; needs 4 GPUs, 2 free". */
export function describe(plan: JobPlan, gpuCount: number, mode: SchedulingMode): string {
  const place = `${ordinal(plan.position)} in the ${plan.gpuType} queue`;
  switch (plan.reason) {
    case PendingReason.AWAITING_APPROVAL:
      return `Waiting for an admin to approve it; would be ${place}`;
    case PendingReason.AWAITING_START:
      return mode === SchedulingMode.AUTO
        ? `${place}; its ${gpus(gpuCount)} ${gpuCount === 1 ? 'is' : 'are'} free: the scheduler is starting it`
        : `${place}; its ${gpus(gpuCount)} ${gpuCount === 1 ? 'is' : 'are'} free: an admin may start it now`;
    case PendingReason.WAITING_FOR_GPUS:
      return `${place}; needs ${gpus(gpuCount)} on one node, ${plan.gpusFree} free`;
    case PendingReason.BEHIND_HIGHER_PRIORITY:
      return `${place}; ${plan.jobsAhead} job${plan.jobsAhead === 1 ? '' : 's'} ahead of it`;
    case PendingReason.NO_NODE_FITS:
      return `No ${plan.gpuType} node has ${gpus(gpuCount)} (the largest has ${plan.largestNode})`;
    case PendingReason.NODES_UNAVAILABLE:
      return `The ${plan.gpuType} nodes with ${gpus(gpuCount)} are draining or down`;
  }
}

export function toEstimate(plan: JobPlan, gpuCount: number, mode: SchedulingMode, plannedAt: number): Estimate {
  return {
    position: plan.position,
    jobsAhead: plan.jobsAhead,
    startBy: plan.startBy === null ? null : new Date(plan.startBy),
    likelyStart: plan.likelyStart === null ? null : new Date(plan.likelyStart),
    reason: plan.reason,
    message: describe(plan, gpuCount, mode),
    gpusFree: plan.gpusFree,
    largestNodeGpus: plan.largestNode,
    plannedAt: new Date(plannedAt),
  };
}
