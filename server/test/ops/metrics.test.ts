/**
 * `/metrics` after a real run: a job goes from submission to its end through the API and the
 * simulator, and the Prometheus text then tells the same story as the database — job counts by
 * status, reserved and charged GPU-hours, events relayed, subscribers, operation latency and the
 * simulator's tick lag.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobStatus } from '../../src/modules/jobs/job-status.js';
import { JOB, RUN_OUTCOMES, jobIn, nodeNamed, runningJob, submitJob, updateNode, waitUntil, type JobView } from '../factories.js';
import { TestServer, type TestUser } from '../harness.js';
import { JOB_CHANGES, Subscription, connect } from '../ws-client.js';

/** One sample of the exposition: metric name, labels, value. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A scrape: the samples and the response's content type. */
interface Scrape {
  contentType: string;
  samples: Sample[];
}

/** Parses the Prometheus text exposition format (samples only; HELP and TYPE lines skipped). */
function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/.exec(line);
    if (!match) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, raw] of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[key!] = raw!.replace(/\\(["\\n])/g, (_, c: string) => (c === 'n' ? '\n' : c));
    }
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

function samplesOf(scrape: Scrape, name: string, labels: Record<string, string> = {}): Sample[] {
  return scrape.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}

/** A series' labels as one string, whatever order they come in. */
function seriesKey(labels: Record<string, string>): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)));
}

/** The one sample of `name` with `labels`; fails when there is none or several. */
function valueOf(scrape: Scrape, name: string, labels: Record<string, string> = {}): number {
  const found = samplesOf(scrape, name, labels);
  if (found.length !== 1) throw new Error(`expected one sample of ${name}${JSON.stringify(labels)}, found ${found.length}`);
  return found[0]!.value;
}

describe('the /metrics endpoint', () => {
  let server: TestServer;
  let owner: TestUser;
  let finished: JobView;
  let pendingGpuHours: number;

  async function scrape(): Promise<Scrape> {
    const res = await fetch(`${server.url}/metrics`);
    expect(res.status).toBe(200);
    return { contentType: res.headers.get('content-type') ?? '', samples: parseExposition(await res.text()) };
  }

  beforeAll(async () => {
    // One simulated hour lasts 0.2 s and the simulator ticks every 50 ms: a 1-hour job ends within a second.
    server = await TestServer.start(
      { SIM_SECONDS_PER_HOUR: '0.2', SIM_TICK_MS: '50', EVENT_POLL_MS: '50' },
      { role: 'all' },
    );
    owner = await server.register('metrics');

    const job = await jobIn(server, JobStatus.RUNNING, { owner, name: 'metrics-run', gpuCount: 2, hours: 1 });
    finished = await waitUntil(
      async () => {
        const res = await server.gql<{ job: JobView }>(JOB, { id: job.id }, owner.token);
        return RUN_OUTCOMES.includes(res.data?.job.status ?? '') ? res.data!.job : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 50, what: 'the job to finish' },
    );
    // A second job left waiting for an admin: the reserved and pending gauges have something to show.
    pendingGpuHours = (await submitJob(server, owner, { name: 'metrics-pending', gpuCount: 1, hours: 3 })).gpuHours;
  });
  afterAll(async () => {
    await server?.close();
  });

  it('should answer in the Prometheus text format', async () => {
    expect((await scrape()).contentType).toMatch(/^text\/plain/);
  });

  it('should count jobs by status as the database does', async () => {
    const metrics = await scrape();
    const { rows } = await server.db.query<{ status: string; n: string }>('select status, count(*) as n from jobs group by status');
    const inDb = Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));

    const byStatus = samplesOf(metrics, 'gpuaas_jobs');
    expect(byStatus.map((s) => s.labels.status).sort()).toEqual(
      ['APPROVED', 'CANCELLED', 'COMPLETED', 'FAILED', 'PENDING', 'REJECTED', 'RUNNING'],
    );
    for (const sample of byStatus) expect(sample.value, sample.labels.status).toBe(inDb[sample.labels.status!] ?? 0);
    expect(byStatus.reduce((sum, s) => sum + s.value, 0)).toBe(rows.reduce((sum, r) => sum + Number(r.n), 0));
    expect(valueOf(metrics, 'gpuaas_jobs', { status: finished.status })).toBeGreaterThanOrEqual(1);

    expect(valueOf(metrics, 'gpuaas_jobs_pending_approval')).toBe(1);
    expect(valueOf(metrics, 'gpuaas_jobs_running')).toBe(0);
  });

  it('should report the GPU-hours reserved by open jobs and charged for finished ones', async () => {
    const metrics = await scrape();
    // Only the pending job is open; the finished one gave back what it did not use.
    expect(valueOf(metrics, 'gpuaas_gpu_hours_reserved')).toBeCloseTo(pendingGpuHours, 6);
    const charged = valueOf(metrics, 'gpuaas_gpu_hours_charged');
    expect(charged).toBeGreaterThan(0);
    expect(charged).toBeLessThanOrEqual(finished.gpuHours);
    expect(charged).toBeCloseTo(finished.chargedGpuHours!, 6);
  });

  it('should count at least every event of the job as relayed', async () => {
    // The relay is asynchronous: it may still be catching up on the job's last commit.
    const relayed = await waitUntil(
      async () => {
        const value = valueOf(await scrape(), 'gpuaas_events_published_total');
        return value >= finished.events.length ? value : undefined;
      },
      { timeoutMs: 5_000, what: `at least ${finished.events.length} events relayed` },
    );
    expect(relayed).toBeGreaterThanOrEqual(finished.events.length);
    expect(valueOf(await scrape(), 'gpuaas_event_wakeups_sent_total')).toBeGreaterThan(0);
  });

  it('should count an open subscription while it lasts', async () => {
    const before = valueOf(await scrape(), 'gpuaas_subscribers');
    expect(before).toBe(0);
    const ws = connect(server.url, owner.token);
    try {
      await ws.connected;
      new Subscription(ws.client, JOB_CHANGES);
      await waitUntil(async () => valueOf(await scrape(), 'gpuaas_subscribers') === before + 1, {
        timeoutMs: 5_000,
        what: 'the subscription to be counted',
      });
    } finally {
      await ws.client.dispose();
    }
    await waitUntil(async () => valueOf(await scrape(), 'gpuaas_subscribers') === before, {
      timeoutMs: 5_000,
      what: 'the subscription to be forgotten',
    });
  });

  it('should record the latency of each named operation in a histogram', async () => {
    const metrics = await scrape();
    const name = 'gpuaas_graphql_operation_duration_seconds';
    // The label is the operation's name in the document (`mutation CreateJob`), not the field.
    const labels = { operation: 'CreateJob', type: 'mutation', outcome: 'ok' };
    expect(valueOf(metrics, `${name}_count`, labels)).toBe(2);
    expect(valueOf(metrics, `${name}_sum`, labels)).toBeGreaterThan(0);
    expect(valueOf(metrics, `${name}_count`, { operation: 'Job', type: 'query' })).toBeGreaterThan(0);

    // Every series' buckets are cumulative and end at +Inf with the series' count.
    const series = new Map<string, Sample[]>();
    for (const bucket of samplesOf(metrics, `${name}_bucket`)) {
      const { le: _le, ...rest } = bucket.labels;
      const key = seriesKey(rest);
      series.set(key, [...(series.get(key) ?? []), bucket]);
    }
    expect(series.has(seriesKey(labels))).toBe(true);
    for (const [key, buckets] of series) {
      const ordered = buckets
        .map((b) => ({ le: b.labels.le === '+Inf' ? Infinity : Number(b.labels.le), value: b.value }))
        .sort((a, b) => a.le - b.le);
      for (let i = 1; i < ordered.length; i++) expect(ordered[i]!.value, key).toBeGreaterThanOrEqual(ordered[i - 1]!.value);
      expect(ordered.at(-1)!.le).toBe(Infinity);
      expect(ordered.at(-1)!.value).toBe(valueOf(metrics, `${name}_count`, Object.fromEntries(JSON.parse(key) as [string, string][])));
    }
  });

  it('should record the simulator\'s tick lag', async () => {
    const metrics = await scrape();
    expect(valueOf(metrics, 'gpuaas_worker_tick_lag_seconds_count')).toBeGreaterThan(0);
    expect(valueOf(metrics, 'gpuaas_worker_tick_lag_seconds_sum')).toBeGreaterThanOrEqual(0);
  });
});

describe('the GPU gauges of /metrics', () => {
  let server: TestServer;

  beforeAll(async () => {
    // No simulator: the job started below holds its GPUs until the test ends.
    server = await TestServer.start({ GPU_INVENTORY: 'M1:2x8,M2:1x4' });
  });
  afterAll(async () => {
    await server?.close();
  });

  async function gpus(): Promise<Record<string, Record<string, number>>> {
    const res = await fetch(`${server.url}/metrics`);
    expect(res.status).toBe(200);
    const byType: Record<string, Record<string, number>> = {};
    for (const s of samplesOf({ contentType: '', samples: parseExposition(await res.text()) }, 'gpuaas_gpus')) {
      (byType[s.labels.gpu_type!] ??= {})[s.labels.state!] = s.value;
    }
    return byType;
  }

  it('should count each type\'s GPUs as allocated, free, draining and down, as the inventory holds them at scrape time', async () => {
    expect(await gpus()).toEqual({
      M1: { allocated: 0, free: 16, draining: 0, down: 0 },
      M2: { allocated: 0, free: 4, draining: 0, down: 0 },
    });

    // Three GPUs go to m1-1 (the nodes tie; the name decides), then m1-1 drains and m2-1 goes down.
    const job = await runningJob(server, { gpuType: 'M1', gpuCount: 3 });
    expect(job.allocation?.node.name).toBe('m1-1');
    expect(await gpus()).toEqual({
      M1: { allocated: 3, free: 13, draining: 0, down: 0 },
      M2: { allocated: 0, free: 4, draining: 0, down: 0 },
    });
    await updateNode(server, (await nodeNamed(server, 'm1-1'))!.id, { state: 'DRAINING' });
    await updateNode(server, (await nodeNamed(server, 'm2-1'))!.id, { state: 'DOWN' });

    expect(await gpus()).toEqual({
      M1: { allocated: 3, free: 8, draining: 5, down: 0 },
      M2: { allocated: 0, free: 0, draining: 0, down: 4 },
    });
  });
});
