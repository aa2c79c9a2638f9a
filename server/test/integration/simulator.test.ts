/**
 * The simulator's clock: a job ends at its drawn end, not at the step after it, and what a step
 * announces says whether it only moved progress.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROGRESS_ONLY, JOB_CHANGES_CHANNEL } from '../../src/events/commit-notifier.js';
import { JobStatus } from '../../src/modules/jobs/job-status.js';
import { addNode, freshGpuType, jobIn, waitUntil } from '../factories.js';
import { TestServer } from '../harness.js';

/** Steps far apart: a job that ended only at a step would end seconds after its drawn end. */
const TICK_MS = 4000;

describe('the simulator', () => {
  let server: TestServer;
  let listener: pg.Client;
  const payloads: string[] = [];

  beforeAll(async () => {
    // A simulated hour lasts 400 ms, so a 2-hour job runs 0.4–0.8 s (it always succeeds).
    ({ server } = await TestServer.startWithAdmin(
      { SIM_TICK_MS: String(TICK_MS), SIM_SECONDS_PER_HOUR: '0.4', SIM_SUCCESS_RATE: '1' },
      { role: 'all' },
    ));
    listener = new pg.Client({ connectionString: server.databaseUrl });
    await listener.connect();
    listener.on('notification', (message) => {
      if (message.channel === JOB_CHANGES_CHANNEL) payloads.push(message.payload ?? '');
    });
    await listener.query(`listen ${JOB_CHANGES_CHANNEL}`);
  });
  afterAll(async () => {
    await listener.end();
    await server.close();
  });

  it('should end a job at its drawn end, not at the next step, and say which wake-ups only moved progress', async () => {
    const gpuType = freshGpuType();
    await addNode(server, { gpuType, gpuCount: 2 });
    const job = await jobIn(server, JobStatus.RUNNING, { gpuType, gpuCount: 1, hours: 2 });
    // The worker takes the job at its next step; from then on it knows when the job ends.
    const claimedAt = await waitUntil(
      async () => {
        const { rows } = await server.db.query<{ lease_owner: string | null }>('select lease_owner from jobs where id = $1', [job.id]);
        return rows[0]!.lease_owner !== null && Date.now();
      },
      { intervalMs: 20, timeoutMs: 2 * TICK_MS, what: 'the worker claiming the job' },
    );
    const { rows } = await waitUntil(
      async () => {
        const result = await server.db.query<{ status: JobStatus; finished_at: Date | null; sim_run_hours: string }>(
          'select status, finished_at, sim_run_hours from jobs where id = $1',
          [job.id],
        );
        return result.rows[0]!.status === JobStatus.COMPLETED && result;
      },
      { intervalMs: 20, timeoutMs: 3 * TICK_MS, what: 'the job completing' },
    );
    const runMs = Number(rows[0]!.sim_run_hours) * 400;
    // Its end came within its run (and a step's work) of the claim, far sooner than the next step.
    expect(rows[0]!.finished_at!.getTime() - claimedAt).toBeLessThan(runMs + TICK_MS / 4);
    await waitUntil(() => payloads.includes(''), { what: 'the wake-up of the end' });
    expect(payloads.every((payload) => payload === '' || payload === PROGRESS_ONLY)).toBe(true);
  });
});
