import { ErrorCode, type OperationProblem } from '../apollo/errors';
import type { JobStatus } from '../../../common/job-status';
import { JOB_STATUSES } from '../features/jobs/job-status';
import { currentLocale, t } from './index';

/**
 * A failed operation in words for the current language. English shows the server's own message
 * (it says which field and why, or what remains); other languages show a translation built from
 * the error's code and details, falling back to the server's message. A capacity shortfall is
 * built from its numbers in every language, English included.
 */
export function describeProblem(problem: OperationProblem, serverText: string = problem.message): string {
  if (problem.code === null) return t('errors.network');
  const ext = problem.extensions;
  // "Needs 4 H100, 2 free on the best node": shorter than the server's sentence, numbers formatted per language.
  if (problem.code === ErrorCode.INSUFFICIENT_CAPACITY) {
    const { gpuType, requested, freeOnBestNode, freeTotal } = ext;
    return typeof gpuType === 'string' && typeof requested === 'number' && typeof freeOnBestNode === 'number' && typeof freeTotal === 'number'
      ? t('errors.insufficientCapacity', { requested, type: gpuType, free: freeOnBestNode, total: freeTotal })
      : serverText;
  }
  if (currentLocale.value === 'en') return serverText;
  switch (problem.code) {
    case ErrorCode.UNAUTHENTICATED:
      return t('errors.unauthenticated');
    case ErrorCode.FORBIDDEN:
      return t('errors.forbidden');
    case ErrorCode.NOT_FOUND:
      return t('errors.notFound');
    case ErrorCode.QUOTA_EXCEEDED:
      return typeof ext.requestedGpuHours === 'number' && typeof ext.remainingGpuHours === 'number'
        ? t('submit.errors.quota', { needed: ext.requestedGpuHours, remaining: ext.remainingGpuHours })
        : serverText;
    case ErrorCode.INVALID_TRANSITION:
      return typeof ext.status === 'string' && (JOB_STATUSES as readonly string[]).includes(ext.status)
        ? t('errors.invalidTransition', { status: t(`status.${ext.status as JobStatus}`) })
        : serverText;
    case ErrorCode.RATE_LIMITED:
      return typeof ext.retryAfter === 'number' ? t('errors.rateLimited', { seconds: ext.retryAfter }) : serverText;
    case ErrorCode.BAD_USER_INPUT:
      return t('errors.badInput', { reason: serverText });
    default:
      return serverText;
  }
}
