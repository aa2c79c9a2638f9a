/**
 * Scenario: the usage CSV of a month of a million jobs. The month is written straight with SQL
 * (every status, names with commas, quotes and Persian), then an API process streams
 * `GET /api/usage.csv?month=…&detail=jobs` (a row per job) and the summary (a row per user and
 * GPU type) to a client that reads as fast as it can. The server's resident memory is sampled
 * while it streams: it must grow by less than 50 MiB, whatever the month's size, because rows
 * come from a cursor a batch at a time and the socket's backpressure is respected.
 */
import { createScenarioDatabase } from './database.js';
import { num, type ScenarioResult, type TargetCheck } from './report.js';
import { Servers, type ScenarioContext } from './scenario.js';
import { seedUsers, vacuumAnalyze } from './seed.js';

/** A month no clock reaches during the run: nothing else writes to it. */
const MONTH = '2025-01';
const RSS_TARGET_MIB = 50;
const SAMPLE_MS = 20;
const MIB = 1024 * 1024;

interface Export {
  rows: number;
  bytes: number;
  firstByteMs: number;
  totalMs: number;
  /** Peak RSS while streaming, less the RSS just before the request. */
  rssGrowthMib: number;
  peakRssMib: number;
}

/** Downloads `url` with `token`, counting rows and bytes without keeping them, sampling `rss()`. */
async function download(url: string, token: string, rss: () => number): Promise<Export> {
  const before = rss();
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, rss())), SAMPLE_MS);
  const started = performance.now();
  try {
    const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
    if (res.status !== 200 || !res.body) throw new Error(`${url}: HTTP ${res.status} ${await res.text()}`);
    let firstByteMs = Number.NaN;
    let bytes = 0;
    let lines = 0;
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      if (Number.isNaN(firstByteMs)) firstByteMs = performance.now() - started;
      bytes += chunk.length;
      // Job names hold no line breaks (control characters are refused), so each LF ends a record.
      for (const byte of chunk) if (byte === 10) lines += 1;
    }
    const totalMs = performance.now() - started;
    peak = Math.max(peak, rss());
    return { rows: lines - 1, bytes, firstByteMs, totalMs, rssGrowthMib: (peak - before) / MIB, peakRssMib: peak / MIB };
  } finally {
    clearInterval(sampler);
  }
}

export async function runUsageExport(ctx: ScenarioContext): Promise<ScenarioResult> {
  const { jobs, users } = ctx.settings.usageExport;
  const began = performance.now();
  const db = await createScenarioDatabase(ctx.database, 'usage_export');
  const servers = new Servers(ctx);
  try {
    const [admin] = await seedUsers(db.pool, ctx.jwtSecret, { count: 1, role: 'ADMIN', prefix: 'usage-admin' });
    await seedUsers(db.pool, ctx.jwtSecret, { count: users, role: 'USER', prefix: 'usage-user' });
    const seedStarted = performance.now();
    // In slices, so no single statement holds the whole month in one transaction's memory.
    const slice = 250_000;
    for (let from = 1; from <= jobs; from += slice) {
      await db.pool.query(
        `with owners as (select array_agg(id order by id) as ids from users where role = 'USER')
         insert into jobs (id, owner_id, name, gpu_type, gpu_count, hours, gpu_hours, billing_weight, quota_month, status, progress,
                           charged_gpu_hours, created_at, finished_at)
         select gen_random_uuid(), owners.ids[1 + g % cardinality(owners.ids)], 'train, "run ' || g || '" مدل', t.gpu_type,
                1 + g % 8, 1 + (g % 4) * 0.5, (1 + g % 8) * (1 + (g % 4) * 0.5) * t.w, t.w, $3, s.status::job_status, 0,
                case when s.status in ('COMPLETED', 'FAILED', 'CANCELLED') then round(((1 + g % 8) * (1 + (g % 4) * 0.5) * t.w * (g % 5) / 5.0)::numeric, 4)
                     when s.status = 'REJECTED' then 0 end,
                '2025-01-01T00:00:00Z'::timestamptz + (g * 2 || ' seconds')::interval,
                case when s.status in ('COMPLETED', 'FAILED', 'CANCELLED', 'REJECTED') then '2025-01-31T00:00:00Z'::timestamptz end
           from owners, generate_series($1::int, $2::int) as g
           cross join lateral (select (array['A100', 'H100', 'L40S'])[1 + g % 3] as gpu_type, (array[1, 2, 0.5])[1 + g % 3]::numeric as w) t
           cross join lateral (select (array['COMPLETED', 'COMPLETED', 'COMPLETED', 'FAILED', 'CANCELLED', 'REJECTED', 'PENDING'])[1 + g % 7] as status) s`,
        [from, Math.min(jobs, from + slice - 1), MONTH],
      );
    }
    await vacuumAnalyze(db.pool);
    const seedSeconds = (performance.now() - seedStarted) / 1000;

    const api = await servers.start('usage-api', 'api', db.url);
    const rss = () => api.rssBytes();
    const base = `${api.url}/api/usage.csv?month=${MONTH}`;
    // A first small request loads the route's code and the pool's connections.
    await download(`${base.replace(MONTH, '2001-01')}`, admin!.token, rss);
    const summary = await download(base, admin!.token, rss);
    const detail = await download(`${base}&detail=jobs`, admin!.token, rss);
    const plan = await db.pool.query<{ 'QUERY PLAN': string }>(
      `explain select owner_id, gpu_type, count(*), sum(gpu_hours), sum(charged_gpu_hours) from jobs where quota_month = $1 group by owner_id, gpu_type`,
      [MONTH],
    );

    const targets: TargetCheck[] = [
      {
        target: `the CSV of a month of ${num(jobs)} jobs streams with the server's RSS growing < ${RSS_TARGET_MIB} MiB`,
        measured: `${num(detail.rssGrowthMib, 1)} MiB over ${num(detail.bytes / MIB, 0)} MiB of CSV`,
        met: detail.rows === jobs && detail.rssGrowthMib < RSS_TARGET_MIB,
      },
      {
        target: 'the summary has one row per user and GPU type',
        measured: `${num(summary.rows)} rows for ${num(users)} users × 3 types`,
        met: summary.rows === users * 3,
      },
    ];
    const row = (name: string, e: Export) => [
      name, num(e.rows), num(e.bytes / MIB, 1), num(e.firstByteMs, 0), num(e.totalMs / 1000, 2), num(e.rows / (e.totalMs / 1000), 0), num(e.rssGrowthMib, 1), num(e.peakRssMib, 0),
    ];
    await servers.stopAll();
    return {
      title: 'Usage CSV export',
      method: [
        `${num(jobs)} jobs of ${num(users)} users in ${MONTH}, every status, names with a comma, quotes and Persian, written with SQL in ${num(seedSeconds, 0)} s; VACUUM ANALYZE after.`,
        'One API process (built server); the client reads the body as it arrives and keeps none of it.',
        `The server's RSS (/proc VmRSS) sampled every ${SAMPLE_MS} ms while streaming; growth = peak less the RSS just before the request.`,
      ],
      tables: [
        {
          title: 'Exports',
          columns: ['export', 'rows', 'MiB', 'first byte (ms)', 'total (s)', 'rows/s', 'RSS growth (MiB)', 'peak RSS (MiB)'],
          rows: [row('summary (user × GPU type)', summary), row('detail=jobs (a row per job)', detail)],
        },
      ],
      targets,
      findings: [
        plan.rows.some((r) => /jobs_usage_idx/.test(r['QUERY PLAN']))
          ? "The summary's aggregates are computed by PostgreSQL reading the month through jobs_usage_idx (plan below)."
          : "The summary's aggregates are computed by PostgreSQL in a sequential scan (plan below): here the month is the whole table, where reading it all beats the index; with many months the planner reads one month through jobs_usage_idx.",
        'The per-job export is written by PostgreSQL (COPY … CSV) and passes through the server as buffers; the server only puts a CR before each record\'s LF.',
      ],
      evidence: [{ title: "The summary's plan", text: plan.rows.map((r) => r['QUERY PLAN']).join('\n') }],
      seconds: (performance.now() - began) / 1000,
    };
  } finally {
    await servers.stopAll();
    await db.drop();
  }
}
