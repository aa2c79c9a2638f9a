import { badUserInput } from '../../errors/app-error.js';

export const MAX_GPUS_PER_NODE = 64;
const NODE_NAME = /^[a-z0-9-]{1,63}$/;
const GPU_TYPE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/;

/** A node name: lower-case letters, digits and `-`, 1–63 characters (a DNS label, as hostnames). */
export function validateNodeName(raw: string): string {
  const name = raw.trim();
  if (!NODE_NAME.test(name)) throw badUserInput('name', 'must be 1 to 63 lower-case letters, digits or -');
  return name;
}

/** A GPU type name; one already in the inventory keeps its spelling whatever the case asked. */
export function validateGpuType(raw: string, known: Iterable<string>): string {
  const gpuType = raw.trim();
  if (!GPU_TYPE.test(gpuType)) throw badUserInput('gpuType', 'must be 1 to 32 letters, digits, _, . or -, starting with a letter or digit');
  for (const type of known) if (type.toLowerCase() === gpuType.toLowerCase()) return type;
  return gpuType;
}

export function validateGpusPerNode(count: number): number {
  if (!Number.isInteger(count) || count < 1 || count > MAX_GPUS_PER_NODE) {
    throw badUserInput('gpuCount', `must be an integer from 1 to ${MAX_GPUS_PER_NODE}`);
  }
  return count;
}
