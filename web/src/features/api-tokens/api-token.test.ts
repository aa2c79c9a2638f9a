import { describe, expect, it } from 'vitest';
import { isExpired, nameProblem } from './api-token';

describe('API token helpers', () => {
  it('should call a token expired once its expiry has passed, and never one without', () => {
    const now = new Date('2026-12-06T12:00:00Z');
    expect(isExpired('2026-12-06T11:59:59Z', now)).toBe(true);
    expect(isExpired('2026-12-06T12:00:01Z', now)).toBe(false);
    expect(isExpired(null, now)).toBe(false);
  });

  it('should ask for a name of 1 to 100 characters', () => {
    expect(nameProblem('  ')).toBe('required');
    expect(nameProblem('x'.repeat(101))).toBe('tooLong');
    expect(nameProblem(' laptop ')).toBeNull();
  });
});
