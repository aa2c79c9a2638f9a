import { AppError, ErrorCode } from '../../errors/app-error.js';

export const quotaErrors = {
  exceeded: (requested: number, remaining: number, month: string) =>
    new AppError(
      ErrorCode.QUOTA_EXCEEDED,
      `This job needs ${requested} GPU-hours but only ${remaining} of your ${month} quota remain`,
      { requestedGpuHours: requested, remainingGpuHours: remaining, month },
    ),
};
