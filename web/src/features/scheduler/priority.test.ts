import { describe, expect, it } from 'vitest';
import { parsePriority, PRIORITY_MAX, PRIORITY_MIN } from './priority';

describe('parsePriority', () => {
  it('should take whole numbers within the bounds, negative ones included', () => {
    expect(parsePriority('0')).toBe(0);
    expect(parsePriority('-5')).toBe(-5);
    expect(parsePriority(40)).toBe(40);
    expect(parsePriority(String(PRIORITY_MIN))).toBe(-1000);
    expect(parsePriority(String(PRIORITY_MAX))).toBe(1000);
  });

  it('should refuse an empty field, fractions, and numbers out of bounds', () => {
    expect(parsePriority('')).toBeNull();
    expect(parsePriority('  ')).toBeNull();
    expect(parsePriority('1.5')).toBeNull();
    expect(parsePriority('1001')).toBeNull();
    expect(parsePriority(-1001)).toBeNull();
    expect(parsePriority('ten')).toBeNull();
  });
});
