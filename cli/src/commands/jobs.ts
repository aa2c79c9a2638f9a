import type { Context } from '../context.js';
import { requireSignedIn } from '../context.js';
import {
  CliCancelJobDocument,
  CliCreateJobDocument,
  CliJobDocument,
  CliJobsDocument,
  CliMeDocument,
  CliQuotaDocument,
  type CliJobRowFragment,
  type CliJobsQuery,
  type JobStatus,
} from '../generated/graphql.js';
import { hours, progressBar, table, when } from '../output.js';
import { follow } from './watch.js';

export interface SubmitOptions {
  gpus: number;
  type?: string;
  hours: number;
  wait?: boolean;
}

/** `gpuaas submit NAME`: submits a job and prints its id, cost and the quota left; `--wait` follows it. */
export async function submit(ctx: Context, name: string, options: SubmitOptions): Promise<number> {
  requireSignedIn(ctx);
  const { createJob: job } = await ctx.api.request(CliCreateJobDocument, {
    input: { name, gpuCount: options.gpus, hours: options.hours, gpuType: options.type ?? null },
  });
  const { me } = await ctx.api.request(CliQuotaDocument, {});
  // With --wait, the submission is the first line of the stream of changes that follows.
  if (options.wait) ctx.out.event({ job, quota: me.quota });
  else ctx.out.data({ job, quota: me.quota });
  ctx.out.line(`Submitted job ${ctx.out.paint(job.id, 'bold')} (${job.name}): ${job.gpuCount}× ${job.gpuType} for ${hours(job.hours)} h, ${ctx.out.status(job.status)}`);
  ctx.out.line(`Cost ${hours(job.gpuHours)} GPU-hour${job.gpuHours === 1 ? '' : 's'}; ${hours(me.quota.remainingGpuHours)} of ${hours(me.quota.limitGpuHours)} left for ${me.quota.month}`);
  return options.wait ? follow(ctx, job.id) : 0;
}

export interface JobsOptions {
  status?: JobStatus;
  all?: boolean;
  limit: number;
}

/** A job row of the tables. */
function row(ctx: Context, job: CliJobRowFragment, withOwner: boolean): string[] {
  return [
    job.id,
    job.name,
    ...(withOwner ? [job.owner.email] : []),
    job.status,
    `${job.gpuCount}× ${job.gpuType}`,
    hours(job.hours),
    `${job.progress}%`,
    when(job.createdAt),
  ];
}

/** `gpuaas jobs`: your jobs, newest first (`--all`: everyone's, for admins). */
export async function jobs(ctx: Context, options: JobsOptions): Promise<number> {
  requireSignedIn(ctx);
  // Admins are shown every job by the API; without --all they see their own, like anyone.
  const { me } = await ctx.api.request(CliMeDocument, {});
  const userId = options.all ? null : me.id;
  const list: CliJobRowFragment[] = [];
  let after: string | null = null;
  let total = 0;
  while (list.length < options.limit) {
    const page: CliJobsQuery['jobs'] = (await ctx.api.request(CliJobsDocument, {
      filter: { status: options.status ?? null, userId },
      first: Math.min(100, options.limit - list.length),
      after,
    })).jobs;
    total = page.totalCount;
    list.push(...page.edges.map((e) => e.node));
    if (!page.pageInfo.hasNextPage) break;
    after = page.pageInfo.endCursor;
  }
  ctx.out.data({ totalCount: total, jobs: list });
  if (list.length === 0) {
    ctx.out.line('No jobs.');
    return 0;
  }
  const withOwner = options.all === true;
  const header = ['ID', 'NAME', ...(withOwner ? ['OWNER'] : []), 'STATUS', 'GPUS', 'HOURS', 'PROGRESS', 'SUBMITTED'];
  const statusColumn = withOwner ? 3 : 2;
  ctx.out.line(table(header, list.map((j) => row(ctx, j, withOwner)), (cell, i) => (i === statusColumn ? ctx.out.status(cell) : cell)));
  if (total > list.length) ctx.out.line(ctx.out.paint(`${list.length} of ${total} shown; --limit shows more`, 'dim'));
  return 0;
}

/** `gpuaas show ID`: one job with its node and GPUs, its wait estimate and its events. */
export async function show(ctx: Context, id: string): Promise<number> {
  requireSignedIn(ctx);
  const { job } = await ctx.api.request(CliJobDocument, { id });
  ctx.out.data(job);
  const entries: [string, string][] = [
    ['id', job.id],
    ['name', job.name],
    ['owner', job.owner.email],
    ['status', ctx.out.status(job.status) + (job.statusReason ? ` (${job.statusReason})` : '')],
    ['gpus', `${job.gpuCount}× ${job.gpuType}`],
    ['hours', hours(job.hours)],
    ['cost', `${hours(job.gpuHours)} GPU-hours${job.chargedGpuHours === null ? ' reserved' : `, ${hours(job.chargedGpuHours)} charged`}`],
    ['progress', progressBar(job.progress)],
    ['priority', String(job.priority)],
  ];
  if (job.allocation) entries.push(['node', `${job.allocation.node.name}, GPUs ${job.allocation.gpuIndices.join(',')}`]);
  if (job.estimate) {
    entries.push(['queue', `#${job.estimate.position}: ${job.estimate.message}`]);
    if (job.estimate.likelyStart) entries.push(['likely start', when(job.estimate.likelyStart)]);
    if (job.estimate.startBy) entries.push(['starts by', when(job.estimate.startBy)]);
  }
  entries.push(['submitted', when(job.createdAt)], ['started', when(job.startedAt)], ['finished', when(job.finishedAt)]);
  ctx.out.fields(entries);
  const events = job.events.filter((e) => e.kind !== 'PROGRESS');
  ctx.out.line();
  ctx.out.line(
    table(
      ['AT', 'EVENT', 'BY', 'REASON'],
      events.map((e) => [
        when(e.at),
        e.kind === 'PRIORITY' ? 'priority' : e.from ? `${e.from} → ${e.to}` : `${e.to} (submitted)`,
        e.actor?.email ?? e.systemActor ?? '-',
        e.reason ?? '',
      ]),
    ),
  );
  return 0;
}

/** `gpuaas cancel ID`. */
export async function cancel(ctx: Context, id: string): Promise<number> {
  requireSignedIn(ctx);
  const { cancelJob: job } = await ctx.api.request(CliCancelJobDocument, { id });
  ctx.out.data(job);
  const charged = job.chargedGpuHours ? `; ${hours(job.chargedGpuHours)} GPU-hours charged, the rest refunded` : '; fully refunded';
  ctx.out.line(`Job ${job.id} (${job.name}) ${ctx.out.status(job.status)}${charged}`);
  return 0;
}
