import { describe, expect, it } from 'vitest';
import { JobStatus } from '../../../../common/job-status';
import { isWaiting, waitsInAny } from './waiting';

describe('waiting jobs', () => {
  it('should count only PENDING and APPROVED jobs as waiting', () => {
    expect(Object.values(JobStatus).filter(isWaiting)).toEqual([JobStatus.PENDING, JobStatus.APPROVED]);
  });

  it('should ask for fresh estimates only when a waiting job is in a queue that moved', () => {
    const jobs = [
      { status: JobStatus.APPROVED, gpuType: 'H100' },
      { status: JobStatus.RUNNING, gpuType: 'A100' },
    ];
    expect(waitsInAny(jobs, new Set(['H100']))).toBe(true);
    expect(waitsInAny(jobs, new Set(['A100']))).toBe(false);
    expect(waitsInAny(jobs, new Set(['L40S', 'A100']))).toBe(false);
    expect(waitsInAny([], new Set(['H100']))).toBe(false);
  });
});
