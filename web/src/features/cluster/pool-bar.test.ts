import { describe, expect, it } from 'vitest';
import { poolSegments } from './pool-bar';

const pool = { totalGpus: 24, upGpus: 20, allocatedGpus: 10, freeGpus: 6, drainingGpus: 4 };

describe('poolSegments', () => {
  it('should split the pool into allocated, free, draining and down, in that order', () => {
    expect(poolSegments(pool).map(({ kind, gpus }) => [kind, gpus])).toEqual([
      ['allocated', 10],
      ['free', 6],
      ['draining', 4],
      ['down', 4],
    ]);
  });

  it('should give each segment its share of the bar, adding up to the whole', () => {
    const segments = poolSegments(pool);
    expect(segments.map((s) => Math.round(s.percent * 100) / 100)).toEqual([41.67, 25, 16.67, 16.67]);
    expect(segments.reduce((sum, s) => sum + s.percent, 0)).toBeCloseTo(100);
  });

  it('should show a pool whose nodes are all down as down only', () => {
    expect(poolSegments({ totalGpus: 8, upGpus: 0, allocatedGpus: 0, freeGpus: 0, drainingGpus: 0 }).map((s) => s.percent)).toEqual([0, 0, 0, 100]);
  });

  it('should give an empty pool an empty bar rather than dividing by zero', () => {
    expect(poolSegments({ totalGpus: 0, upGpus: 0, allocatedGpus: 0, freeGpus: 0, drainingGpus: 0 }).map((s) => s.percent)).toEqual([0, 0, 0, 0]);
  });
});
