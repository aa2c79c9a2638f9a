import { describe, expect, it } from 'vitest';
import { AppError } from '../../errors/app-error.js';
import { SchedulingMode, applyChange, parseSettings, seedSettings } from './scheduler-settings.js';

const FALLBACK = { mode: SchedulingMode.MANUAL, autoApproveMaxGpuHours: 0, backfill: true };

describe("the scheduler's settings", () => {
  it('should seed from the configuration', () => {
    expect(seedSettings({ mode: 'AUTO', autoApproveMaxGpuHours: 3, backfill: false, intervalMs: 1, leaseMs: 1, planMaxAgeMs: 1 })).toEqual({
      mode: SchedulingMode.AUTO, autoApproveMaxGpuHours: 3, backfill: false,
    });
  });

  it('should read stored JSON, falling back field by field for what is missing or wrong', () => {
    expect(parseSettings('{"mode":"AUTO","autoApproveMaxGpuHours":5,"backfill":false}', FALLBACK)).toEqual({
      mode: SchedulingMode.AUTO, autoApproveMaxGpuHours: 5, backfill: false,
    });
    expect(parseSettings('{"mode":"AUTO"}', FALLBACK)).toEqual({ ...FALLBACK, mode: SchedulingMode.AUTO });
    expect(parseSettings('{"autoApproveMaxGpuHours":-2,"backfill":1}', FALLBACK)).toEqual(FALLBACK);
    for (const bad of [null, undefined, '', 'nonsense', '42', 'null']) expect(parseSettings(bad, FALLBACK)).toEqual(FALLBACK);
  });

  it('should change only what a change names, and refuse an unusable threshold naming it', () => {
    expect(applyChange(FALLBACK, { backfill: false })).toEqual({ ...FALLBACK, backfill: false });
    expect(applyChange(FALLBACK, { mode: SchedulingMode.AUTO, autoApproveMaxGpuHours: null })).toEqual({ ...FALLBACK, mode: SchedulingMode.AUTO });
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY, 1e8]) {
      const error = (() => {
        try {
          applyChange(FALLBACK, { autoApproveMaxGpuHours: bad });
        } catch (e) {
          return e;
        }
      })();
      expect(error).toBeInstanceOf(AppError);
      expect((error as AppError).details).toEqual({ field: 'autoApproveMaxGpuHours' });
    }
  });
});
