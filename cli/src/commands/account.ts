import type { Context } from '../context.js';
import { requireSignedIn } from '../context.js';
import { CliError } from '../exit-codes.js';
import { CliClusterDocument, CliQuotaDocument, CliSetUserQuotaDocument, CliUsersDocument, type CliUsersQuery } from '../generated/graphql.js';
import { hours, progressBar, table } from '../output.js';

/** `gpuaas quota`: this month's GPU-hours. */
export async function quota(ctx: Context): Promise<number> {
  requireSignedIn(ctx);
  const { me } = await ctx.api.request(CliQuotaDocument, {});
  const q = me.quota;
  ctx.out.data({ email: me.email, ...q });
  const share = q.limitGpuHours > 0 ? (q.usedGpuHours / q.limitGpuHours) * 100 : 100;
  ctx.out.fields([
    ['month', q.month],
    ['used', `${hours(q.usedGpuHours)} of ${hours(q.limitGpuHours)} GPU-hours ${progressBar(share)}`],
    ['remaining', `${hours(q.remainingGpuHours)} GPU-hours`],
  ]);
  return 0;
}

/**
 * The id of the user `who` names: an id as it is, or an email looked up with the server's search
 * (admins): only the users whose email contains it come back, and the one that is it is taken.
 */
async function userIdOf(ctx: Context, who: string): Promise<string> {
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(who)) return who;
  const email = who.trim().toLowerCase();
  let after: string | null = null;
  for (;;) {
    const { users }: CliUsersQuery = await ctx.api.request(CliUsersDocument, { first: 100, after, search: email });
    const found = users.edges.find((e) => e.node.email === email);
    if (found) return found.node.id;
    if (!users.pageInfo.hasNextPage) throw new CliError('NOT_FOUND', `no user ${who}`);
    after = users.pageInfo.endCursor;
  }
}

/** `gpuaas quota set USER HOURS` (admins): a user's monthly limit, from this month on. */
export async function setQuota(ctx: Context, who: string, limit: number): Promise<number> {
  requireSignedIn(ctx);
  const userId = await userIdOf(ctx, who);
  const { setUserQuota: q } = await ctx.api.request(CliSetUserQuotaDocument, { userId, limitGpuHours: limit });
  ctx.out.data({ userId, ...q });
  ctx.out.line(`${who}: ${hours(q.limitGpuHours)} GPU-hours a month; ${hours(q.usedGpuHours)} used, ${hours(q.remainingGpuHours)} left in ${q.month}`);
  return 0;
}

/** `gpuaas gpus`: the cluster's pools, one line per GPU type. */
export async function gpus(ctx: Context): Promise<number> {
  requireSignedIn(ctx);
  const { cluster } = await ctx.api.request(CliClusterDocument, {});
  ctx.out.data(cluster);
  if (cluster.length === 0) {
    ctx.out.line('No GPU nodes.');
    return 0;
  }
  ctx.out.line(
    table(
      ['TYPE', 'NODES', 'GPUS', 'FREE', 'ALLOCATED', 'DRAINING', 'DOWN', 'LARGEST FREE', 'QUEUED'],
      cluster.map((p) => [
        p.gpuType,
        String(p.nodes),
        String(p.totalGpus),
        String(p.freeGpus),
        String(p.allocatedGpus),
        String(p.drainingGpus),
        String(p.totalGpus - p.upGpus),
        String(p.largestFreeBlock),
        `${p.queuedJobs} jobs, ${p.queuedGpus} GPUs`,
      ]),
      (cell, i) => (i === 3 ? ctx.out.paint(cell, 'green') : cell),
    ),
  );
  return 0;
}
