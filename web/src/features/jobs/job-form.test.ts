import { describe, expect, it } from 'vitest';
import { checkJobForm, gpuHoursFor } from './job-form';

const base = { name: 'train', gpuType: 'A100', gpuCount: 2, hours: 3 };

describe('checkJobForm', () => {
  it('should cost gpuCount × hours, rounded like the server', () => {
    expect(gpuHoursFor(4, 6)).toBe(24);
    expect(gpuHoursFor(3, 0.1)).toBe(0.3);
    expect(checkJobForm(base, 100)).toMatchObject({ gpuHours: 6, remainingAfter: 94, quotaError: null });
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
