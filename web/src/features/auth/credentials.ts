/** Client-side checks of the login and register forms; the server checks the same again. */

/** The server's email shape: something@domain.tld, no spaces or quotes. */
const EMAIL = /^[^\s@"<>()[\]\\,;:]+@[^\s@"<>()[\]\\,;:]+\.[^\s@"<>()[\]\\,;:.]{2,}$/;
export const MIN_PASSWORD_LENGTH = 10;

export type EmailProblem = 'required' | 'shape';
export type PasswordProblem = 'required' | 'tooShort' | 'sameAsEmail';

export function emailProblem(email: string): EmailProblem | null {
  const normalized = email.trim().toLowerCase();
  if (!normalized) return 'required';
  return EMAIL.test(normalized) ? null : 'shape';
}

/** A new password: at least 10 characters and not the email. */
export function newPasswordProblem(password: string, email: string): PasswordProblem | null {
  if (!password) return 'required';
  if ([...password].length < MIN_PASSWORD_LENGTH) return 'tooShort';
  if (password.trim().toLowerCase() === email.trim().toLowerCase()) return 'sameAsEmail';
  return null;
}

/** An existing password only has to be there: accounts made by the operator may predate the rules. */
export function existingPasswordProblem(password: string): PasswordProblem | null {
  return password ? null : 'required';
}
