import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ExitCode, describeCode } from './exit-codes.js';
import { hours, progressBar, table, useColour } from './output.js';

describe('colours', () => {
  it('should colour only a terminal, and never with NO_COLOR or a dumb terminal', () => {
    expect(useColour({ isTTY: true }, {})).toBe(true);
    expect(useColour({ isTTY: false }, {})).toBe(false);
    expect(useColour({}, {})).toBe(false);
    expect(useColour({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(useColour({ isTTY: true }, { TERM: 'dumb' })).toBe(false);
  });
});

describe('progressBar', () => {
  it('should be as wide whatever the percentage, with the clamped percentage at its end', () => {
    fc.assert(
      fc.property(fc.double({ min: -50, max: 150, noNaN: true }), fc.integer({ min: 1, max: 60 }), (p, width) => {
        const bar = progressBar(p, width);
        expect(bar).toHaveLength(width + 2 + 5);
        const shown = Math.max(0, Math.min(100, Math.round(p)));
        expect(bar.endsWith(`${String(shown).padStart(3)}%`)).toBe(true);
        expect(bar.split('#').length - 1).toBe(Math.round((shown / 100) * width));
      }),
    );
    expect(progressBar(50, 10)).toBe('[#####.....]  50%');
  });
});

describe('table', () => {
  it('should align every column to its widest cell', () => {
    const text = table(['ID', 'NAME', 'STATUS'], [['1', 'a long name', 'RUNNING'], ['22', 'x', 'PENDING']]);
    expect(text.split('\n')).toEqual(['ID  NAME         STATUS', '1   a long name  RUNNING', '22  x            PENDING']);
  });
});

describe('numbers and exit codes', () => {
  it('should write GPU-hours with at most two decimals', () => {
    expect([hours(24), hours(0.1 + 0.2), hours(1.005)]).toEqual(['24', '0.3', '1']);
  });

  it('should map each error class to its exit code', () => {
    expect(describeCode('NOT_FOUND').exit).toBe(ExitCode.NotFound);
    expect(describeCode('QUOTA_EXCEEDED').exit).toBe(ExitCode.QuotaOrCapacity);
    expect(describeCode('INSUFFICIENT_CAPACITY').exit).toBe(ExitCode.QuotaOrCapacity);
    expect(describeCode('BAD_USER_INPUT').exit).toBe(ExitCode.Usage);
    for (const code of ['UNAUTHENTICATED', 'FORBIDDEN', 'INVALID_TRANSITION', 'RATE_LIMITED', 'SOMETHING_NEW']) {
      expect(describeCode(code).exit).toBe(ExitCode.Error);
    }
  });
});
