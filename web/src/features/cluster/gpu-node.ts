import type { GpuNodeFieldsFragment, GpuNodeState } from '../../generated/graphql';

/** What an admin can do to a node. */
export type NodeAction = 'drain' | 'down' | 'up';

/** The state each action leads to. */
export const NODE_ACTION_STATE: Readonly<Record<NodeAction, GpuNodeState>> = {
  drain: 'DRAINING',
  down: 'DOWN',
  up: 'UP',
};

/** The actions that change a node in `state`: every state but its own, drain only from UP. */
export function nodeActionsFor(state: GpuNodeState): NodeAction[] {
  switch (state) {
    case 'UP':
      return ['drain', 'down'];
    case 'DRAINING':
      return ['up', 'down'];
    default:
      return ['up'];
  }
}

/** The distinct jobs holding a node's GPUs: the running jobs that marking it DOWN fails. */
export function jobsOn(node: Pick<GpuNodeFieldsFragment, 'gpus'>): NonNullable<GpuNodeFieldsFragment['gpus'][number]['job']>[] {
  const seen = new Map<string, NonNullable<GpuNodeFieldsFragment['gpus'][number]['job']>>();
  for (const slot of node.gpus) if (slot.job && !seen.has(slot.job.id)) seen.set(slot.job.id, slot.job);
  return [...seen.values()];
}

/** The types offered as suggestions in the add-node form: the inventory's, sorted, once each. */
export function knownGpuTypes(nodes: readonly Pick<GpuNodeFieldsFragment, 'gpuType'>[]): string[] {
  return [...new Set(nodes.map((n) => n.gpuType))].sort();
}

/** A node an admin may start a job on, and whether the job fits there now. */
export interface StartChoice {
  id: string;
  name: string;
  freeGpus: number;
  gpuCount: number;
  fits: boolean;
}

/** The UP nodes of the job's type, by name: where `startJob(id, nodeId)` may put it. */
export function startChoices(
  nodes: readonly Pick<GpuNodeFieldsFragment, 'id' | 'name' | 'gpuType' | 'gpuCount' | 'state' | 'freeGpus'>[],
  job: { gpuType: string; gpuCount: number },
): StartChoice[] {
  return nodes
    .filter((n) => n.state === 'UP' && n.gpuType === job.gpuType)
    .map((n) => ({ id: n.id, name: n.name, freeGpus: n.freeGpus, gpuCount: n.gpuCount, fits: n.freeGpus >= job.gpuCount }))
    .sort((a, b) => a.name.localeCompare(b.name));
}
