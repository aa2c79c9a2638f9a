import { describe, expect, it } from 'vitest';
import { AppError, ErrorCode } from '../../errors/app-error.js';
import {
  MAX_JOB_NAME_LENGTH,
  MAX_REASON_LENGTH,
  validateJobRequest,
  validateReason,
  type JobRequest,
} from './job.validation.js';

const catalogue = (entries: Record<string, number>) => new Map(Object.entries(entries));
const LIMITS = { catalogue: catalogue({ A100: 8, H100: 8, L40S: 4 }), maxGpuCount: 8, maxHours: 72 };
const GOOD: JobRequest = { name: 'train resnet', gpuType: 'H100', gpuCount: 2, hours: 3 };

const validate = (change: Partial<JobRequest>) => validateJobRequest({ ...GOOD, ...change }, LIMITS);

/** Expects `fn` to refuse its input as BAD_USER_INPUT naming `field`. */
function expectBadInput(fn: () => unknown, field: string): void {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(AppError);
  const error = thrown as AppError;
  expect(error.code).toBe(ErrorCode.BAD_USER_INPUT);
  expect(error.details).toEqual({ field });
  expect(error.message).toMatch(new RegExp(`^${field}: .+`));
}

describe('validateJobRequest', () => {
  it('should accept a good request and work out its reservation', () => {
    expect(validate({})).toEqual({ name: 'train resnet', gpuType: 'H100', gpuCount: 2, hours: 3, billingWeight: 1, gpuHours: 6 });
  });

  it("should price the reservation at the GPU type's billing weight, found without case", () => {
    const billingWeights = [{ gpuType: 'h100', weight: 2.5 }, { gpuType: 'L40S', weight: 0.5 }];
    expect(validateJobRequest(GOOD, { ...LIMITS, billingWeights })).toMatchObject({ billingWeight: 2.5, gpuHours: 15 });
    expect(validateJobRequest({ ...GOOD, gpuType: 'A100' }, { ...LIMITS, billingWeights })).toMatchObject({ billingWeight: 1, gpuHours: 6 });
  });

  describe('name', () => {
    it('should be trimmed', () => {
      expect(validate({ name: '  train resnet \t' }).name).toBe('train resnet');
    });

    it.each(['', '   ', '\t\n'])('should refuse the empty name %j', (name) => {
      expectBadInput(() => validate({ name }), 'name');
    });

    it('should be at most 120 characters long', () => {
      expect(MAX_JOB_NAME_LENGTH).toBe(120);
      expect(validate({ name: 'n'.repeat(120) }).name).toHaveLength(120);
      expect(validate({ name: ` ${'n'.repeat(120)} ` }).name).toHaveLength(120);
      expectBadInput(() => validate({ name: 'n'.repeat(121) }), 'name');
    });

    it('should count characters, not UTF-16 code units', () => {
      // PostgreSQL's varchar(120) counts characters too: 120 emoji fit, 121 do not.
      const rockets = '🚀'.repeat(120);
      expect(validate({ name: rockets }).name).toBe(rockets);
      expectBadInput(() => validate({ name: `${rockets}🚀` }), 'name');
    });

    it('should welcome printable Unicode', () => {
      expect(validate({ name: 'Löwe — 训练 🚀' }).name).toBe('Löwe — 训练 🚀');
    });

    it.each(['a\nb', 'a\u0000b', 'bell\u0007', 'a\u001bb', 'a\u007fb'])('should refuse control characters in %j', (name) => {
      expectBadInput(() => validate({ name }), 'name');
    });
  });

  describe('gpuType', () => {
    it('should be matched case-insensitively and stored in the catalogue’s spelling', () => {
      expect(validate({ gpuType: 'h100' }).gpuType).toBe('H100');
      expect(validate({ gpuType: 'l40s' }).gpuType).toBe('L40S');
      expect(validate({ gpuType: ' a100 ' }).gpuType).toBe('A100');
    });

    it.each([undefined, null, '', '  '])('should default %j to the first type of the catalogue', (gpuType) => {
      expect(validate({ gpuType }).gpuType).toBe('A100');
    });

    it('should follow a configured catalogue', () => {
      const limits = { ...LIMITS, catalogue: catalogue({ MI300X: 8, B200: 8 }) };
      expect(validateJobRequest({ ...GOOD, gpuType: null }, limits).gpuType).toBe('MI300X');
      expect(validateJobRequest({ ...GOOD, gpuType: 'b200' }, limits).gpuType).toBe('B200');
      expectBadInput(() => validateJobRequest({ ...GOOD, gpuType: 'H100' }, limits), 'gpuType');
    });

    it.each(['B200', 'H10', 'A100,H100', 'H1OO'])('should refuse %j, which the catalogue lacks', (gpuType) => {
      expectBadInput(() => validate({ gpuType }), 'gpuType');
    });

    it('should list the catalogue when it refuses a type', () => {
      expect(() => validate({ gpuType: 'B200' })).toThrow(/A100, H100, L40S/);
    });
  });

  describe('gpuCount', () => {
    it.each([1, 8])('should accept %d', (gpuCount) => {
      expect(validate({ gpuCount }).gpuCount).toBe(gpuCount);
    });

    it.each([0, -1, 9, 1.5, Number.NaN, Number.POSITIVE_INFINITY])('should refuse %d', (gpuCount) => {
      expectBadInput(() => validate({ gpuCount }), 'gpuCount');
    });

    it('should refuse more GPUs than the largest node of the type has, naming it', () => {
      expect(validate({ gpuType: 'L40S', gpuCount: 4 }).gpuCount).toBe(4);
      expectBadInput(() => validate({ gpuType: 'L40S', gpuCount: 5 }), 'gpuCount');
      expect(() => validate({ gpuType: 'L40S', gpuCount: 5 })).toThrow('the largest L40S node has 4 GPUs');
    });

    it('should refuse every type when no node exists', () => {
      expectBadInput(() => validateJobRequest(GOOD, { ...LIMITS, catalogue: new Map() }), 'gpuType');
    });

    it('should follow the configured maximum', () => {
      const limits = { ...LIMITS, catalogue: catalogue({ H100: 32 }) };
      expect(validateJobRequest({ ...GOOD, gpuCount: 16 }, { ...limits, maxGpuCount: 16 }).gpuCount).toBe(16);
      expectBadInput(() => validateJobRequest({ ...GOOD, gpuCount: 3 }, { ...LIMITS, maxGpuCount: 2 }), 'gpuCount');
    });
  });

  describe('hours', () => {
    it.each([0.0001, 0.5, 72])('should accept %d', (hours) => {
      expect(validate({ hours }).hours).toBe(hours);
    });

    it.each([0, -1, 72.0001, 100, 0.00004, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY])(
      'should refuse %d',
      (hours) => {
        expectBadInput(() => validate({ hours }), 'hours');
      },
    );

    it('should be rounded to four decimals, and so should the reservation', () => {
      expect(validate({ hours: 1.23456, gpuCount: 3 })).toMatchObject({ hours: 1.2346, gpuHours: 3.7038 });
      expect(validate({ hours: 0.1, gpuCount: 3 })).toMatchObject({ hours: 0.1, gpuHours: 0.3 });
    });

    it('should follow the configured maximum', () => {
      expectBadInput(() => validateJobRequest({ ...GOOD, hours: 2 }, { ...LIMITS, maxHours: 1.5 }), 'hours');
    });
  });

  it('should name the first bad field when several are bad', () => {
    expectBadInput(() => validate({ name: '', gpuType: 'B200', gpuCount: 0, hours: 0 }), 'name');
    expectBadInput(() => validate({ gpuType: 'B200', gpuCount: 0, hours: 0 }), 'gpuType');
    expectBadInput(() => validate({ gpuCount: 0, hours: 0 }), 'gpuCount');
  });
});

describe('validateReason', () => {
  it.each([undefined, null, '', '   \n'])('should turn %j into no reason', (reason) => {
    expect(validateReason(reason)).toBeNull();
  });

  it('should trim a reason', () => {
    expect(validateReason('  not enough budget \n')).toBe('not enough budget');
  });

  it('should be at most 1000 characters long', () => {
    expect(MAX_REASON_LENGTH).toBe(1000);
    expect(validateReason('r'.repeat(1000))).toHaveLength(1000);
    expectBadInput(() => validateReason('r'.repeat(1001)), 'reason');
  });
});
