import { describe, expect, it } from 'vitest';
import { AppError, ErrorCode } from '../../errors/app-error.js';
import {
  MAX_PASSWORD_BYTES,
  MIN_PASSWORD_LENGTH,
  normalizeEmail,
  validateEmail,
  validatePassword,
} from './user.validation.js';

/** Expects `fn` to refuse its input as BAD_USER_INPUT naming `field`; returns the error. */
function expectBadInput(fn: () => unknown, field: string): AppError {
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
  return error;
}

describe('normalizeEmail', () => {
  it('should trim and lower-case an email', () => {
    expect(normalizeEmail('  Ada.Lovelace@Example.ORG\n')).toBe('ada.lovelace@example.org');
  });

  it('should leave a normalised email unchanged', () => {
    expect(normalizeEmail('ada@example.org')).toBe('ada@example.org');
  });
});

describe('validateEmail', () => {
  it.each([
    ['ada@example.org', 'ada@example.org'],
    [' Ada@Example.ORG ', 'ada@example.org'],
    ['ada.lovelace+gpu@cs.uni-example.ac.uk', 'ada.lovelace+gpu@cs.uni-example.ac.uk'],
    ['o\'brien@example.ie', 'o\'brien@example.ie'],
  ])('should accept %j as %j', (email, normalized) => {
    expect(validateEmail(email)).toBe(normalized);
  });

  it.each([
    '',
    'ada',
    'ada@',
    '@example.org',
    'ada@example',
    'ada@example.o',
    'ada@@example.org',
    'ada@exa@mple.org',
    'ada lovelace@example.org',
    '"ada"@example.org',
    'ada@example.org.',
    '<ada@example.org>',
  ])('should refuse %j', (email) => {
    expectBadInput(() => validateEmail(email), 'email');
  });

  it('should refuse an email longer than 254 characters', () => {
    const local = 'a'.repeat(64);
    const domain = `${'d'.repeat(63)}.${'e'.repeat(63)}.${'f'.repeat(50)}.org`;
    const fits = `${local}@${domain}`;
    expect(fits.length).toBeLessThanOrEqual(254);
    expect(validateEmail(fits)).toBe(fits);
    expectBadInput(() => validateEmail(`${local}@${'x'.repeat(190)}.org`), 'email');
  });
});

describe('validatePassword', () => {
  const email = 'ada@example.org';

  it('should accept a password of ten characters or more', () => {
    expect(MIN_PASSWORD_LENGTH).toBe(10);
    expect(() => validatePassword('k9v-Tq2#mz', email)).not.toThrow();
    expect(() => validatePassword('correct horse battery staple', email)).not.toThrow();
  });

  it('should refuse the most common passwords, whatever their case', () => {
    for (const common of ['1234567890', 'Password123', 'QWERTYUIOP', 'iloveyou123']) {
      expectBadInput(() => validatePassword(common, email), 'password');
    }
  });

  it('should refuse a password shorter than ten characters', () => {
    expectBadInput(() => validatePassword('a'.repeat(9), email), 'password');
    expectBadInput(() => validatePassword('', email), 'password');
  });

  it('should count characters, not UTF-16 code units', () => {
    expectBadInput(() => validatePassword('🔑'.repeat(9), email), 'password');
    expect(() => validatePassword('🔑'.repeat(10), email)).not.toThrow();
  });

  it('should refuse a password longer than the 72 bytes bcrypt reads', () => {
    expect(MAX_PASSWORD_BYTES).toBe(72);
    expect(() => validatePassword('p'.repeat(72), email)).not.toThrow();
    expectBadInput(() => validatePassword('p'.repeat(73), email), 'password');
  });

  it('should count the bytes of multi-byte characters', () => {
    expect(() => validatePassword('€'.repeat(24), email)).not.toThrow(); // 72 bytes
    expectBadInput(() => validatePassword('€'.repeat(25), email), 'password'); // 75 bytes
  });

  it('should refuse the email as the password, whatever its case or spacing', () => {
    expectBadInput(() => validatePassword('ada@example.org', email), 'password');
    expectBadInput(() => validatePassword(' ADA@Example.org ', email), 'password');
  });

  it('should never echo the password', () => {
    for (const password of ['short', 'x'.repeat(80), 'ada@example.org']) {
      const error = expectBadInput(() => validatePassword(password, email), 'password');
      expect(error.message).not.toContain(password);
    }
  });
});
