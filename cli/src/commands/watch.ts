import type { Context } from '../context.js';
import { requireSignedIn } from '../context.js';
import { CliError, ExitCode } from '../exit-codes.js';
import { CliJobChangesDocument, CliJobDocument, CliJobsDocument, CliMeDocument, type JobStatus } from '../generated/graphql.js';
import { progressBar } from '../output.js';

const ENDED: readonly string[] = ['COMPLETED', 'FAILED', 'REJECTED', 'CANCELLED'];
/** The live feed may miss a change while it reconnects: each followed job is also re-read this often. */
const RECHECK_MS = 5000;

interface Followed {
  id: string;
  name: string;
  status: JobStatus;
  progress: number;
  statusReason?: string | null;
}

/**
 * Follows jobs live until every one of them has ended: `jobId`, or all of the viewer's jobs that
 * have not ended (and any submitted meanwhile). On a terminal each job is a line redrawn in place
 * with a progress bar; otherwise a line is printed at each status change and every 10 % of
 * progress; with `--json`, one JSON object per change. Resolves with the exit code: for one job,
 * 0 when it completed and 1 when it failed, was rejected or cancelled; for all jobs, 0.
 */
export async function follow(ctx: Context, jobId?: string): Promise<number> {
  requireSignedIn(ctx);
  const { out, api } = ctx;
  const jobs = new Map<string, Followed>();
  const printedProgress = new Map<string, number>();
  let drawnLines = 0;

  const describe = (j: Followed) =>
    `${j.id.slice(0, 8)}  ${j.name.slice(0, 30).padEnd(30)}  ${out.status(j.status.padEnd(9))}  ${progressBar(j.progress)}${j.statusReason ? `  ${j.statusReason}` : ''}`;

  const redraw = () => {
    if (out.json || !out.tty) return;
    if (drawnLines > 0) out.raw(`\u001b[${drawnLines}A`);
    for (const j of jobs.values()) out.raw(`\u001b[2K${describe(j)}\n`);
    drawnLines = jobs.size;
  };

  const report = (j: Followed, statusChanged: boolean, at: string) => {
    if (out.json) {
      out.event({ at, id: j.id, name: j.name, status: j.status, progress: j.progress, statusReason: j.statusReason ?? null });
    } else if (!out.tty) {
      const step = Math.floor(j.progress / 10);
      if (statusChanged || step !== printedProgress.get(j.id)) {
        printedProgress.set(j.id, step);
        out.line(`${at.slice(11, 19)}  ${describe(j)}`);
      }
    } else {
      redraw();
    }
  };

  const update = (next: Followed, at: string) => {
    const before = jobs.get(next.id);
    if (before && before.status === next.status && before.progress === next.progress) return;
    // Never go back: a re-read may be older than a change already shown.
    if (before && ENDED.includes(before.status)) return;
    jobs.set(next.id, next);
    report(next, before?.status !== next.status, at);
  };

  // Subscribe first, then read the current state, so no change falls between the two.
  let me: { id: string } | undefined;
  if (jobId === undefined) me = (await api.request(CliMeDocument, {})).me;
  let fail: (error: CliError) => void = () => {};
  const failed = new Promise<never>((_, reject) => (fail = reject));
  failed.catch(() => {});
  const client = api.socket((error) => fail(error));
  const unsubscribe = api.subscribe(
    client,
    CliJobChangesDocument,
    { jobId: jobId ?? null },
    ({ jobStatusChanged: c }) => {
      // Admins receive every job: follow only their own when following "all my jobs".
      if (me && c.job.owner.id !== me.id) return;
      update({ id: c.job.id, name: c.job.name, status: c.status, progress: c.progress, statusReason: c.job.statusReason }, c.at);
    },
    (error) => fail(error),
  );

  const readAll = async () => {
    if (jobId !== undefined) {
      const { job } = await api.request(CliJobDocument, { id: jobId });
      update(job, new Date().toISOString());
      return;
    }
    for (const j of jobs.values()) {
      if (ENDED.includes(j.status)) continue;
      const { job } = await api.request(CliJobDocument, { id: j.id });
      update(job, new Date().toISOString());
    }
  };

  try {
    if (jobId === undefined) {
      const { jobs: page } = await api.request(CliJobsDocument, { filter: { userId: me!.id }, first: 100, after: null });
      for (const { node } of page.edges) if (!ENDED.includes(node.status)) update(node, new Date().toISOString());
      if (jobs.size === 0) {
        out.line('No jobs to watch: every job of yours has ended.');
        out.event({ watching: 0 });
        return 0;
      }
    } else {
      await readAll();
    }
    const allEnded = () => [...jobs.values()].every((j) => ENDED.includes(j.status));
    const timers: NodeJS.Timeout[] = [];
    try {
      await Promise.race([
        failed,
        new Promise<void>((resolve, reject) => {
          // Each change is checked within 100 ms; the re-read catches a change the feed missed.
          timers.push(setInterval(() => allEnded() && resolve(), 100));
          timers.push(setInterval(() => void readAll().catch(reject), RECHECK_MS));
        }),
      ]);
    } finally {
      for (const timer of timers) clearInterval(timer);
    }
  } finally {
    unsubscribe();
    await client.dispose();
  }
  if (jobId === undefined) return ExitCode.Ok;
  const final = jobs.get(jobId);
  if (final?.status !== 'COMPLETED' && !out.json) out.line(`Job ${jobId} ended ${final?.status ?? ''}${final?.statusReason ? `: ${final.statusReason}` : ''}`);
  return final?.status === 'COMPLETED' ? ExitCode.Ok : ExitCode.Error;
}
