import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GpuNodeState } from './gpu-node.entity.js';
import { bestFit, freeOn, inventoryNodes, pickIndices, shortfall, type NodeCapacity } from './placement.js';

const node = (name: string, gpuCount: number, held: number, state = GpuNodeState.UP): NodeCapacity => ({
  id: name, name, gpuType: 'A100', gpuCount, held, state,
});

describe('bestFit', () => {
  it('should choose the UP node with the fewest free GPUs that still has enough', () => {
    const nodes = [node('a', 8, 0), node('b', 8, 5), node('c', 8, 6), node('d', 4, 0)];
    expect(bestFit(nodes, 2)?.name).toBe('c');
    expect(bestFit(nodes, 3)?.name).toBe('b');
    expect(bestFit(nodes, 4)?.name).toBe('d');
    expect(bestFit(nodes, 5)?.name).toBe('a');
    expect(bestFit(nodes, 9)).toBeNull();
  });

  it('should never choose a DRAINING or DOWN node', () => {
    const nodes = [node('a', 8, 0, GpuNodeState.DRAINING), node('b', 8, 0, GpuNodeState.DOWN)];
    expect(bestFit(nodes, 1)).toBeNull();
    expect(freeOn(nodes[0]!)).toBe(0);
  });

  it('should break ties by name', () => {
    expect(bestFit([node('z', 8, 4), node('m', 8, 4)], 4)?.name).toBe('m');
  });

  it('should return a node with room whenever one exists, and the tightest such node', () => {
    const nodeArb = fc.record({
      gpuCount: fc.integer({ min: 1, max: 16 }),
      heldShare: fc.double({ min: 0, max: 1, noNaN: true }),
      state: fc.constantFrom(...Object.values(GpuNodeState)),
    });
    fc.assert(
      fc.property(fc.array(nodeArb, { maxLength: 12 }), fc.integer({ min: 1, max: 16 }), (raw, count) => {
        const nodes = raw.map((r, i) => node(`n${i}`, r.gpuCount, Math.floor(r.gpuCount * r.heldShare), r.state));
        const chosen = bestFit(nodes, count);
        const fitting = nodes.filter((n) => freeOn(n) >= count);
        if (fitting.length === 0) return chosen === null;
        return chosen !== null && freeOn(chosen) >= count && fitting.every((n) => freeOn(n) >= freeOn(chosen));
      }),
    );
  });
});

describe('shortfall', () => {
  it('should report the largest free block and the free total of UP nodes only', () => {
    const nodes = [node('a', 8, 6), node('b', 8, 5), node('c', 8, 0, GpuNodeState.DRAINING)];
    expect(shortfall(nodes)).toEqual({ freeOnBestNode: 3, freeTotal: 5 });
    expect(shortfall([])).toEqual({ freeOnBestNode: 0, freeTotal: 0 });
  });
});

describe('pickIndices', () => {
  it('should give the lowest free indices', () => {
    expect(pickIndices(8, [0, 1, 3], 3)).toEqual([2, 4, 5]);
    expect(pickIndices(4, [0, 1, 2], 2)).toBeNull();
    expect(pickIndices(4, [], 4)).toEqual([0, 1, 2, 3]);
  });

  it('should never give a held index, an index past the node, or one twice', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 64 }), fc.uniqueArray(fc.integer({ min: 0, max: 63 })), fc.integer({ min: 1, max: 64 }), (size, held, count) => {
        const picked = pickIndices(size, held, count);
        const free = size - held.filter((i) => i < size).length;
        if (picked === null) return free < count;
        return picked.length === count && new Set(picked).size === count && picked.every((i) => i < size && !held.includes(i));
      }),
    );
  });
});

describe('inventoryNodes', () => {
  it('should number the nodes of a type named twice on', () => {
    expect(inventoryNodes([{ gpuType: 'A100', nodes: 1, gpusPerNode: 8 }, { gpuType: 'A100', nodes: 1, gpusPerNode: 4 }]).map((n) => n.name)).toEqual([
      'a100-1',
      'a100-2',
    ]);
  });

  it('should name nodes by type and number', () => {
    expect(inventoryNodes([{ gpuType: 'A100', nodes: 2, gpusPerNode: 8 }, { gpuType: 'L40S', nodes: 1, gpusPerNode: 4 }])).toEqual([
      { name: 'a100-1', gpuType: 'A100', gpuCount: 8 },
      { name: 'a100-2', gpuType: 'A100', gpuCount: 8 },
      { name: 'l40s-1', gpuType: 'L40S', gpuCount: 4 },
    ]);
  });
});
