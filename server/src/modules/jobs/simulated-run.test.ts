import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SimOutcome } from './job.entity.js';
import { FAILURE_REASONS, drawRun, failureReason } from './simulated-run.js';

describe('drawRun', () => {
  it('should draw the same run for the same seed and key', () => {
    const place = { node: 'a100-1', gpuIndices: [4, 5] };
    const sim = { successRate: 0.5, seed: 'fixed' };
    expect(drawRun('17', 10, sim, place)).toEqual(drawRun('17', 10, sim, place));
  });

  it("should name only the job's own GPUs and node in a failure", () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 8 }),
        fc.uniqueArray(fc.integer({ min: 0, max: 63 }), { minLength: 1, maxLength: 8 }),
        (key, gpuIndices) => {
          const run = drawRun(key, 4, { successRate: 0, seed: 'gpus' }, { node: 'h100-7', gpuIndices });
          expect(run.outcome).toBe(SimOutcome.FAILED);
          for (const [, gpu] of run.failReason!.matchAll(/GPU (\d+)/g)) expect(gpuIndices).toContain(Number(gpu));
          expect(run.failReason).not.toMatch(/\{(gpu|node)\}/);
          if (/node|host/.test(run.failReason!) && !/NCCL/.test(run.failReason!)) expect(run.failReason).toContain('h100-7');
        },
      ),
    );
  });
});

describe('failureReason', () => {
  it('should fill in the GPU the pick chooses and the node', () => {
    expect(failureReason('ECC error on GPU {gpu} of {node}', { node: 'a100-2', gpuIndices: [2, 3, 5] }, 0.99)).toBe('ECC error on GPU 5 of a100-2');
    expect(FAILURE_REASONS.some((r) => r.includes('{gpu}'))).toBe(true);
  });
});
