import { describe, expect, it } from 'vitest';
import { emailProblem, existingPasswordProblem, newPasswordProblem } from './credentials';

describe('credentials', () => {
  it('should accept emails of the shape the server accepts', () => {
    expect(emailProblem('ada@lab.example')).toBeNull();
    expect(emailProblem('  Ada@Lab.Example ')).toBeNull();
    expect(emailProblem('')).toBe('required');
    expect(emailProblem('ada')).toBe('shape');
    expect(emailProblem('ada@lab')).toBe('shape');
    expect(emailProblem('a da@lab.example')).toBe('shape');
  });

  it('should want a new password of 10 characters or more that is not the email', () => {
    expect(newPasswordProblem('', 'ada@lab.example')).toBe('required');
    expect(newPasswordProblem('123456789', 'ada@lab.example')).toBe('tooShort');
    expect(newPasswordProblem('ada@lab.example', 'ada@lab.example')).toBe('sameAsEmail');
    expect(newPasswordProblem('ADA@lab.example', ' ada@lab.example')).toBe('sameAsEmail');
    expect(newPasswordProblem('a long passphrase', 'ada@lab.example')).toBeNull();
  });

  it('should only need an existing password to be there', () => {
    expect(existingPasswordProblem('')).toBe('required');
    expect(existingPasswordProblem('short')).toBeNull();
  });
});
