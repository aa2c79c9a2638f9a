import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { API_TOKEN_LENGTH, hashApiToken, isApiToken, isWellFormedApiToken, newApiToken } from './api-token.secret.js';

describe('API token values', () => {
  it('should start with gpa_ and carry 32 random bytes in base64url', () => {
    const token = newApiToken();
    expect(token).toMatch(/^gpa_[A-Za-z0-9_-]{43}$/);
    expect(token).toHaveLength(API_TOKEN_LENGTH);
    expect(Buffer.from(token.slice(4), 'base64url')).toHaveLength(32);
    expect(isApiToken(token) && isWellFormedApiToken(token)).toBe(true);
  });

  it('should never repeat a value', () => {
    const values = new Set(Array.from({ length: 1000 }, () => newApiToken()));
    expect(values.size).toBe(1000);
  });

  it('should be well formed for any 32 bytes, and hash to 64 hex digits that differ from the token', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (bytes) => {
        const token = newApiToken(() => Buffer.from(bytes));
        expect(isWellFormedApiToken(token)).toBe(true);
        const hash = hashApiToken(token);
        expect(hash).toMatch(/^[0-9a-f]{64}$/);
        expect(hash).not.toContain(token.slice(4));
      }),
    );
  });

  it('should refuse values of the wrong shape', () => {
    for (const bad of ['gpa_', 'gpa_short', `gpa_${'a'.repeat(44)}`, `gpa_${'a'.repeat(42)}!`, 'eyJhbGciOi.x.y']) {
      expect(isWellFormedApiToken(bad)).toBe(false);
    }
    expect(isApiToken('eyJhbGciOi.x.y')).toBe(false);
  });
});
