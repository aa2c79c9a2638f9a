import { AppError, ErrorCode, badUserInput } from '../../errors/app-error.js';

export const notificationErrors = {
  /** Missing or not the viewer's: one answer for both, so ids cannot be probed. */
  webhookNotFound: () => new AppError(ErrorCode.NOT_FOUND, 'Webhook not found'),
  badUrl: (reason: string) => badUserInput('url', reason),
  noEvents: () => badUserInput('events', 'must name at least one notification kind'),
  tooManyWebhooks: (max: number) => badUserInput('url', `you may have at most ${max} webhooks`),
  badIds: () => badUserInput('ids', 'must be notification ids returned by this API (at most 1000)'),
};
