import type { SchedulerConfig } from '../../config.js';
import { badUserInput } from '../../errors/app-error.js';

/** Who starts approved jobs (SPEC §8). */
export enum SchedulingMode {
  /** Admins start jobs; the plan still estimates, assuming they start them in queue order. */
  MANUAL = 'MANUAL',
  /** The scheduler starts approved jobs as their GPUs free, in queue order, with backfill. */
  AUTO = 'AUTO',
}

/** The scheduler's live settings, kept in the `settings` table under SCHEDULER_SETTINGS_KEY. */
export interface SchedulerSettings {
  mode: SchedulingMode;
  /** Jobs costing at most this many GPU-hours are approved at submission; 0 = off. */
  autoApproveMaxGpuHours: number;
  backfill: boolean;
}

/** The `settings` key holding the scheduler's settings as JSON. */
export const SCHEDULER_SETTINGS_KEY = 'scheduler';

/** The most `autoApproveMaxGpuHours` may be: larger than any job can cost. */
const MAX_AUTO_APPROVE = 1e7;

/** The settings a new installation starts with, from SCHEDULER_MODE and friends. */
export function seedSettings(config: SchedulerConfig): SchedulerSettings {
  return { mode: SchedulingMode[config.mode], autoApproveMaxGpuHours: config.autoApproveMaxGpuHours, backfill: config.backfill };
}

/**
 * Reads stored settings. Anything missing or unreadable falls back to `fallback`, so a row
 * written by an older version still works.
 */
export function parseSettings(json: string | null | undefined, fallback: SchedulerSettings): SchedulerSettings {
  const stored = readJson(json);
  return {
    mode: stored.mode === SchedulingMode.AUTO || stored.mode === SchedulingMode.MANUAL ? stored.mode : fallback.mode,
    autoApproveMaxGpuHours:
      typeof stored.autoApproveMaxGpuHours === 'number' && stored.autoApproveMaxGpuHours >= 0
        ? stored.autoApproveMaxGpuHours
        : fallback.autoApproveMaxGpuHours,
    backfill: typeof stored.backfill === 'boolean' ? stored.backfill : fallback.backfill,
  };
}

function readJson(json: string | null | undefined): Partial<SchedulerSettings> {
  if (!json) return {};
  try {
    const value: unknown = JSON.parse(json);
    return typeof value === 'object' && value !== null ? (value as Partial<SchedulerSettings>) : {};
  } catch {
    return {};
  }
}

/** An admin's change: any subset of the settings. */
export interface SchedulerSettingsChange {
  mode?: SchedulingMode | null;
  autoApproveMaxGpuHours?: number | null;
  backfill?: boolean | null;
}

/**
 * Applies `change` to `current`.
 *
 * @throws AppError BAD_USER_INPUT naming the field when a value cannot be used.
 */
export function applyChange(current: SchedulerSettings, change: SchedulerSettingsChange): SchedulerSettings {
  const max = change.autoApproveMaxGpuHours;
  if (max != null && (!Number.isFinite(max) || max < 0 || max > MAX_AUTO_APPROVE)) {
    throw badUserInput('autoApproveMaxGpuHours', `must be a number from 0 (off) to ${MAX_AUTO_APPROVE}`);
  }
  return {
    mode: change.mode ?? current.mode,
    autoApproveMaxGpuHours: max ?? current.autoApproveMaxGpuHours,
    backfill: change.backfill ?? current.backfill,
  };
}
