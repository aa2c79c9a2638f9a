import { AppError, ErrorCode } from '../../errors/app-error.js';

export const userErrors = {
  notFound: () => new AppError(ErrorCode.NOT_FOUND, 'User not found'),
  emailTaken: () =>
    new AppError(ErrorCode.BAD_USER_INPUT, 'email: an account with this email already exists', { field: 'email' }),
};
