import { describe, expect, it } from 'vitest';
import type { GpuPoolFieldsFragment } from '../../generated/graphql';
import { capacityFor, checkJobForm, gpuHoursFor, weightFor } from './job-form';

const base = { name: 'train', gpuType: 'A100', gpuCount: 2, hours: 3 };

describe('checkJobForm', () => {
  it('should cost gpuCount × hours, rounded like the server', () => {
    expect(gpuHoursFor(4, 6)).toBe(24);
    expect(gpuHoursFor(3, 0.1)).toBe(0.3);
    expect(checkJobForm(base, 100)).toMatchObject({ gpuHours: 6, remainingAfter: 94, quotaError: null });
  });

  it("should multiply the cost by the GPU type's billing weight and refuse by the weighted cost", () => {
    expect(gpuHoursFor(2, 3, 2)).toBe(12);
    expect(gpuHoursFor(3, 0.1, 0.5)).toBe(0.15);
    expect(checkJobForm(base, 100, null, 2)).toMatchObject({ gpuHours: 12, remainingAfter: 88, quotaError: null });
    expect(checkJobForm(base, 10, null, 2).quotaError).toEqual({ key: 'submit.errors.quota', params: { needed: 12, remaining: 10 } });
  });

  it('should weigh a type 1 while the weights are unknown or do not list it', () => {
    const weights = [{ gpuType: 'H100', weight: 2 }];
    expect(weightFor(weights, 'H100')).toBe(2);
    expect(weightFor(weights, 'A100')).toBe(1);
    expect(weightFor(null, 'H100')).toBe(1);
  });

  it('should read number inputs typed as text', () => {
    expect(checkJobForm({ ...base, gpuCount: '4', hours: '1.5' }, 100).input).toEqual({ name: 'train', gpuType: 'A100', gpuCount: 4, hours: 1.5 });
  });

  it('should refuse what cannot fit and say what remains', () => {
    const check = checkJobForm({ ...base, gpuCount: 8, hours: 2 }, 10);
    expect(check.input).toBeNull();
    expect(check.quotaError).toEqual({ key: 'submit.errors.quota', params: { needed: 16, remaining: 10 } });
  });

  it('should not refuse for quota while the quota is unknown', () => {
    expect(checkJobForm(base, null)).toMatchObject({ quotaError: null, remainingAfter: null });
    expect(checkJobForm(base, null).input).not.toBeNull();
  });

  it('should name each invalid field', () => {
    const check = checkJobForm({ name: ' ', gpuType: '', gpuCount: 0, hours: -1 }, 100);
    expect(Object.keys(check.errors).sort()).toEqual(['gpuCount', 'gpuType', 'hours', 'name']);
    expect(check.gpuHours).toBeNull();
    expect(checkJobForm({ ...base, name: 'x'.repeat(121) }, 100).errors.name?.key).toBe('submit.errors.nameTooLong');
    expect(checkJobForm({ ...base, gpuCount: 1.5 }, 100).errors.gpuCount?.key).toBe('submit.errors.gpuCountInvalid');
    expect(checkJobForm({ ...base, hours: '' }, 100).errors.hours?.key).toBe('submit.errors.hoursRequired');
  });
});

describe('the capacity check', () => {
  const pool = (gpuType: string, freeGpus: number, largestNodeGpus: number): GpuPoolFieldsFragment => ({
    gpuType,
    nodes: 2,
    totalGpus: largestNodeGpus * 2,
    upGpus: largestNodeGpus * 2,
    allocatedGpus: largestNodeGpus * 2 - freeGpus,
    freeGpus,
    drainingGpus: 0,
    largestFreeBlock: Math.min(freeGpus, largestNodeGpus),
    largestNodeGpus,
    queuedJobs: 0,
    queuedGpus: 0,
  });
  const pools = [pool('A100', 10, 8), pool('L40S', 3, 4)];

  it("should read the chosen type's free GPUs and largest node from the pools", () => {
    expect(capacityFor(pools, 'L40S')).toEqual({ gpuType: 'L40S', freeGpus: 3, largestNodeGpus: 4 });
    expect(capacityFor(pools, 'H100')).toBeNull();
    expect(capacityFor(null, 'A100')).toBeNull();
  });

  it('should refuse a count no node of the type can hold, naming the largest node', () => {
    const check = checkJobForm({ ...base, gpuType: 'L40S', gpuCount: 5 }, 100, capacityFor(pools, 'L40S'));
    expect(check.errors.gpuCount).toEqual({ key: 'submit.errors.gpuCountTooLarge', params: { type: 'L40S', max: 4 } });
    expect(check.input).toBeNull();
    // The cost is still shown beside the refusal.
    expect(check.gpuHours).toBe(15);
  });

  it('should accept the largest node exactly, and more than is free now (it waits for GPUs)', () => {
    expect(checkJobForm({ ...base, gpuType: 'L40S', gpuCount: 4 }, 100, capacityFor(pools, 'L40S')).input).not.toBeNull();
    expect(checkJobForm({ ...base, gpuCount: 8 }, 100, { gpuType: 'A100', freeGpus: 0, largestNodeGpus: 8 }).input).not.toBeNull();
  });

  it('should not refuse for capacity while the pools are unknown, or for another type than chosen', () => {
    expect(checkJobForm({ ...base, gpuCount: 64 }, 1000, null).errors.gpuCount).toBeUndefined();
    expect(checkJobForm({ ...base, gpuType: 'A100', gpuCount: 8 }, 100, capacityFor(pools, 'L40S')).errors.gpuCount).toBeUndefined();
  });
});
