import { AppError, ErrorCode, badUserInput } from '../../errors/app-error.js';
import type { Shortfall } from './placement.js';

export const clusterErrors = {
  nodeNotFound: () => new AppError(ErrorCode.NOT_FOUND, 'GPU node not found'),
  /** Nothing fits: the numbers say how far off it is, for people and for clients alike. */
  insufficientCapacity: (gpuType: string, requested: number, { freeOnBestNode, freeTotal }: Shortfall) =>
    new AppError(
      ErrorCode.INSUFFICIENT_CAPACITY,
      `Needs ${requested} ${gpuType} GPU${requested === 1 ? '' : 's'} on one node; ${freeOnBestNode} free on the best node, ${freeTotal} free in all`,
      { gpuType, requested, freeOnBestNode, freeTotal },
    ),
  nameTaken: (name: string) => badUserInput('name', `a node named ${name} exists already`),
  wrongType: (node: string, nodeType: string, jobType: string) =>
    badUserInput('nodeId', `node ${node} has ${nodeType} GPUs; the job needs ${jobType}`),
  unknownNode: () => badUserInput('nodeId', 'no such GPU node'),
  gpusInUse: (node: string, indices: readonly number[]) =>
    badUserInput('gpuCount', `GPU${indices.length === 1 ? '' : 's'} ${indices.join(', ')} of ${node} ${indices.length === 1 ? 'is' : 'are'} in use; shrink after ${indices.length === 1 ? 'it is' : 'they are'} free`),
  nodeBusy: (node: string, jobs: number) =>
    badUserInput('id', `node ${node} runs ${jobs} job${jobs === 1 ? '' : 's'}; drain it and wait, or mark it DOWN, before removing it`),
};
