import { describe, expect, it } from 'vitest';
import type { GpuNodeFieldsFragment } from '../../generated/graphql';
import { jobsOn, knownGpuTypes, nodeActionsFor, startChoices } from './gpu-node';

const job = (id: string) => ({ id, name: `job ${id}`, owner: { id: 'u', email: 'ada@lab.example' } });

function node(overrides: Partial<GpuNodeFieldsFragment>): GpuNodeFieldsFragment {
  return { id: 'n', name: 'n', gpuType: 'H100', gpuCount: 8, state: 'UP', freeGpus: 8, gpus: [], ...overrides };
}

describe('node actions', () => {
  it('should offer every other state, and drain only from UP', () => {
    expect(nodeActionsFor('UP')).toEqual(['drain', 'down']);
    expect(nodeActionsFor('DRAINING')).toEqual(['up', 'down']);
    expect(nodeActionsFor('DOWN')).toEqual(['up']);
  });

  it('should count each job holding GPUs once: the jobs DOWN would fail', () => {
    const gpus = [job('a'), job('a'), null, job('b'), job('a'), null].map((j, index) => ({ index, job: j }));
    expect(jobsOn({ gpus }).map((j) => j.id)).toEqual(['a', 'b']);
    expect(jobsOn({ gpus: [{ index: 0, job: null }] })).toEqual([]);
  });

  it('should suggest each GPU type of the inventory once, sorted', () => {
    expect(knownGpuTypes([{ gpuType: 'L40S' }, { gpuType: 'A100' }, { gpuType: 'L40S' }])).toEqual(['A100', 'L40S']);
  });
});

describe('startChoices', () => {
  const nodes = [
    node({ id: '3', name: 'h100-3', freeGpus: 2 }),
    node({ id: '1', name: 'h100-1', freeGpus: 8 }),
    node({ id: '2', name: 'h100-2', state: 'DRAINING' }),
    node({ id: '4', name: 'h100-4', state: 'DOWN' }),
    node({ id: '5', name: 'a100-1', gpuType: 'A100' }),
  ];

  it('should list the UP nodes of the job type by name, saying which have room', () => {
    expect(startChoices(nodes, { gpuType: 'H100', gpuCount: 4 })).toEqual([
      { id: '1', name: 'h100-1', freeGpus: 8, gpuCount: 8, fits: true },
      { id: '3', name: 'h100-3', freeGpus: 2, gpuCount: 8, fits: false },
    ]);
  });

  it('should count a node with exactly enough free GPUs as a fit', () => {
    expect(startChoices(nodes, { gpuType: 'H100', gpuCount: 2 }).every((c) => c.fits)).toBe(true);
  });
});
