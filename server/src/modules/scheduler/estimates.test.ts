import { describe, expect, it } from 'vitest';
import { describe as sentence, ordinal, toEstimate } from './estimates.js';
import { PendingReason, type JobPlan } from './planner.js';
import { SchedulingMode } from './scheduler-settings.js';

function answer(fields: Partial<JobPlan>): JobPlan {
  return {
    id: 'j', gpuType: 'H100', position: 2, jobsAhead: 1, startBy: null, likelyStart: null, reason: PendingReason.WAITING_FOR_GPUS,
    gpusFree: 2, largestNode: 8, plannedNodeId: null, ...fields,
  };
}

describe('estimates in words', () => {
  it('should write English ordinals', () => {
    expect([1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 101, 111].map(ordinal)).toEqual([
      '1st', '2nd', '3rd', '4th', '11th', '12th', '13th', '21st', '22nd', '23rd', '101st', '111th',
    ]);
  });

  it('should say why a job waits, for every reason', () => {
    const say = (reason: PendingReason, mode = SchedulingMode.MANUAL, gpuCount = 4) => sentence(answer({ reason }), gpuCount, mode);
    expect(say(PendingReason.WAITING_FOR_GPUS)).toBe('2nd in the H100 queue; needs 4 GPUs on one node, 2 free');
    expect(say(PendingReason.BEHIND_HIGHER_PRIORITY)).toBe('2nd in the H100 queue; 1 job ahead of it');
    expect(say(PendingReason.AWAITING_APPROVAL)).toBe('Waiting for an admin to approve it; would be 2nd in the H100 queue');
    expect(say(PendingReason.AWAITING_START)).toContain('an admin may start it now');
    expect(say(PendingReason.AWAITING_START, SchedulingMode.AUTO, 1)).toBe('2nd in the H100 queue; its 1 GPU is free: the scheduler is starting it');
    expect(say(PendingReason.NO_NODE_FITS, SchedulingMode.MANUAL, 16)).toBe('No H100 node has 16 GPUs (the largest has 8)');
    expect(say(PendingReason.NODES_UNAVAILABLE)).toBe('The H100 nodes with 4 GPUs are draining or down');
    expect(sentence(answer({ reason: PendingReason.BEHIND_HIGHER_PRIORITY, jobsAhead: 3 }), 1, SchedulingMode.AUTO)).toContain('3 jobs ahead');
  });

  it('should carry the plan’s times as dates, and null where it cannot start', () => {
    const at = Date.UTC(2026, 11, 6, 12);
    const e = toEstimate(answer({ startBy: at + 1000, likelyStart: at + 500 }), 4, SchedulingMode.MANUAL, at);
    expect(e).toMatchObject({ position: 2, jobsAhead: 1, gpusFree: 2, largestNodeGpus: 8, reason: PendingReason.WAITING_FOR_GPUS });
    expect(e.startBy!.getTime()).toBe(at + 1000);
    expect(e.likelyStart!.getTime()).toBe(at + 500);
    expect(e.plannedAt.getTime()).toBe(at);
    expect(toEstimate(answer({}), 4, SchedulingMode.MANUAL, at).startBy).toBeNull();
  });
});
