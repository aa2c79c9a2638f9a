import { AppError, ErrorCode } from '../../errors/app-error.js';

export const apiTokenErrors = {
  /** Missing, revoked, or another user's: the same answer for each. */
  notFound: () => new AppError(ErrorCode.NOT_FOUND, 'API token not found'),
  /**
   * What a token may never do, so a leaked token cannot make itself permanent or take the
   * account over: create tokens, change the password or a role. A password sign-in can.
   */
  notWithApiToken: (what: string) =>
    new AppError(ErrorCode.FORBIDDEN, `An API token cannot ${what}; sign in with your password to do it`),
  tooMany: (max: number) =>
    new AppError(ErrorCode.BAD_USER_INPUT, `name: you already have ${max} active API tokens; revoke one first`, { field: 'name' }),
};
