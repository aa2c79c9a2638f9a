import { afterEach, describe, expect, it } from 'vitest';
import type { OperationProblem } from '../apollo/errors';
import { setLocale } from './index';
import { describeProblem } from './problems';

const shortfall: OperationProblem = {
  code: 'INSUFFICIENT_CAPACITY',
  message: 'Needs 4 H100 GPUs on one node; 2 free on the best node, 3 free in all',
  field: null,
  extensions: { code: 'INSUFFICIENT_CAPACITY', gpuType: 'H100', requested: 4, freeOnBestNode: 2, freeTotal: 3 },
};

describe('INSUFFICIENT_CAPACITY in words', () => {
  afterEach(() => setLocale('en'));

  it('should say what the job needs and what is free, from the numbers the error carries', () => {
    expect(describeProblem(shortfall)).toBe('Needs 4 H100, 2 free on the best node (3 free in all).');
  });

  it('should say it in Persian, with Persian digits', () => {
    setLocale('fa');
    expect(describeProblem(shortfall)).toBe('۴ GPU از نوع H100 لازم است؛ بهترین گره ۲ GPU آزاد دارد (در مجموع ۳ آزاد).');
  });

  it("should fall back to the server's message when the numbers are missing", () => {
    expect(describeProblem({ ...shortfall, extensions: { code: 'INSUFFICIENT_CAPACITY' } })).toBe(shortfall.message);
  });
});
