import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../errors/app-error.js';
import { validateApiTokenRequest } from './api-token.validation.js';

const NOW = new Date('2026-12-06T12:00:00Z');

function fieldOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error instanceof AppError ? error.details.field : error;
  }
  return undefined;
}

describe('validateApiTokenRequest', () => {
  it('should accept a trimmed name and a lifetime of 1 to 366 days, or none', () => {
    expect(validateApiTokenRequest('  laptop ', 30, NOW)).toEqual({ name: 'laptop', expiresAt: new Date('2027-01-05T12:00:00Z') });
    expect(validateApiTokenRequest('CI', null, NOW)).toEqual({ name: 'CI', expiresAt: null });
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 366 }), (days) => {
        const { expiresAt } = validateApiTokenRequest('x', days, NOW);
        expect(expiresAt!.getTime() - NOW.getTime()).toBe(days * 86_400_000);
      }),
    );
  });

  it('should refuse empty, long or control-character names, naming the field', () => {
    for (const name of ['', '   ', 'x'.repeat(101), 'a\u0000b', 'tab\there']) {
      expect(fieldOf(() => validateApiTokenRequest(name, 30, NOW))).toBe('name');
    }
  });

  it('should refuse lifetimes that are not 1 to 366 whole days', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer({ max: 0 }), fc.integer({ min: 367 }), fc.double({ noInteger: true })), (days) => {
        expect(fieldOf(() => validateApiTokenRequest('x', days, NOW))).toBe('expiresInDays');
      }),
    );
  });
});
