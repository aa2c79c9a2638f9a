import type { Context } from '../context.js';
import { requireSignedIn } from '../context.js';
import { CliError } from '../exit-codes.js';
import {
  CliApproveJobDocument,
  CliCompleteJobDocument,
  CliFailJobDocument,
  CliGpuNodeNamesDocument,
  CliRejectJobDocument,
  CliStartJobDocument,
  type CliJobRowFragment,
} from '../generated/graphql.js';
import { hours } from '../output.js';

function done(ctx: Context, job: CliJobRowFragment, extra = ''): number {
  ctx.out.data(job);
  const charged = job.chargedGpuHours === null ? '' : `; ${hours(job.chargedGpuHours)} GPU-hours charged`;
  ctx.out.line(`Job ${job.id} (${job.name}, ${job.owner.email}) ${ctx.out.status(job.status)}${extra}${charged}`);
  return 0;
}

/** `gpuaas approve ID`. */
export async function approve(ctx: Context, id: string): Promise<number> {
  requireSignedIn(ctx);
  return done(ctx, (await ctx.api.request(CliApproveJobDocument, { id })).approveJob);
}

/** `gpuaas reject ID --reason TEXT`. */
export async function reject(ctx: Context, id: string, reason: string | undefined): Promise<number> {
  requireSignedIn(ctx);
  return done(ctx, (await ctx.api.request(CliRejectJobDocument, { id, reason: reason ?? null })).rejectJob);
}

/** `gpuaas start ID [--node NAME]`: on the best fit, or on the node named (by name or id). */
export async function start(ctx: Context, id: string, node: string | undefined): Promise<number> {
  requireSignedIn(ctx);
  let nodeId: string | null = null;
  if (node !== undefined) {
    const { gpuNodes } = await ctx.api.request(CliGpuNodeNamesDocument, {});
    const found = gpuNodes.find((n) => n.name === node || n.id === node);
    if (!found) throw new CliError('NOT_FOUND', `no GPU node ${node}`);
    nodeId = found.id;
  }
  const { startJob: job } = await ctx.api.request(CliStartJobDocument, { id, nodeId });
  const on = job.allocation ? ` on ${job.allocation.node.name} (GPUs ${job.allocation.gpuIndices.join(',')})` : '';
  return done(ctx, job, on);
}

/** `gpuaas complete ID`. */
export async function complete(ctx: Context, id: string): Promise<number> {
  requireSignedIn(ctx);
  return done(ctx, (await ctx.api.request(CliCompleteJobDocument, { id })).completeJob);
}

/** `gpuaas fail ID --reason TEXT`. */
export async function fail(ctx: Context, id: string, reason: string | undefined): Promise<number> {
  requireSignedIn(ctx);
  return done(ctx, (await ctx.api.request(CliFailJobDocument, { id, reason: reason ?? null })).failJob);
}
