/**
 * Scenario 2, Read: pages of `jobs(first: 20)` (the web app's query and selection) for users and
 * for an admin, with up to 1,000,000 jobs in the table, against the raw keyset SQL the server's
 * repository issues for the same page. Each client walks a few pages by cursor, then starts over.
 */
import pg from 'pg';
import { prepared } from '../server/src/db/sql.js';
import { countStatement, pageStatement, type Statement } from '../server/src/modules/jobs/job.queries.js';
import { closedLoop } from './closed-loop.js';
import { GraphQLHttpClient, JOBS_PAGE } from './graphql-client.js';
import { fig, num, ratio, type ScenarioResult, type Table, type TargetCheck } from './report.js';
import { Cells, clientsLabel, cpuFinding, runOnFreshDatabase, type ScenarioContext } from './scenario.js';
import { seedJobHistory, seedUsers, settleQuotas, vacuumAnalyze, type SeededUser } from './seed.js';

const PAGE_SIZE = 20;
const P99_TARGET_MS = 25;

/**
 * The SQL of one page, as the server sends it: `pageStatement` of the server's job queries
 * (optionally one owner's jobs, a row-comparison keyset seek after the cursor, newest first, one
 * row more than the page to tell whether more follow).
 */
function pageQuery(ownerId: string | null, after: { createdAt: Date; id: string } | null): Statement {
  return pageStatement({ ownerId: ownerId ?? undefined }, PAGE_SIZE, after);
}

/** The count the server runs next to every page (`countStatement`). */
function countQuery(ownerId: string | null): Statement {
  return countStatement({ ownerId: ownerId ?? undefined });
}

type Persona = 'user' | 'admin';
type Path = 'http' | 'raw' | 'raw-count';
const PATH_LABEL: Record<Path, string> = {
  http: 'HTTP jobs(first: 20)',
  raw: 'raw keyset SQL',
  'raw-count': 'raw keyset SQL + count(*)',
};

/** A client's walk: the page to ask for next. */
interface Walk {
  pages: number;
  cursor: string | null;
  after: { createdAt: Date; id: string } | null;
}

export async function explain(pool: pg.Pool, query: { text: string; values: unknown[] }): Promise<string> {
  const { rows } = await pool.query<{ 'QUERY PLAN': string }>(`explain (analyze, buffers) ${query.text}`, query.values);
  return rows.map((r) => r['QUERY PLAN']).join('\n');
}

export function executionMs(plan: string): number {
  return Number(/Execution Time: ([\d.]+) ms/.exec(plan)?.[1] ?? Number.NaN);
}

export async function runRead(ctx: ScenarioContext): Promise<ScenarioResult> {
  const { settings } = ctx;
  const { tableSizes, users: userCount, clients: levels, sizeClients, pagesPerWalk, warmupMs, durationMs } = settings.read;
  const largest = tableSizes.at(-1)!;
  return runOnFreshDatabase(ctx, 'read', async (db, servers) => {
    const users: SeededUser[] = await seedUsers(db.pool, ctx.jwtSecret, { count: userCount, role: 'USER', prefix: 'reader' });
    const [admin] = await seedUsers(db.pool, ctx.jwtSecret, { count: 1, role: 'ADMIN', prefix: 'read-admin' });
    const api = await servers.start('read-api', 'api', db.url);
    const base = new Date();
    const cells = new Cells();
    const seeding: string[] = [];
    const evidence: ScenarioResult['evidence'] = [];
    let seeded = 0;

    for (const size of tableSizes) {
      const seedStart = performance.now();
      await seedJobHistory(db.pool, { from: seeded + 1, to: size, base });
      await settleQuotas(db.pool);
      await vacuumAnalyze(db.pool);
      seeded = size;
      seeding.push(`${num(size)} jobs seeded and vacuumed in ${num((performance.now() - seedStart) / 1000, 1)} s`);

      const levelsHere = size === largest ? levels : [sizeClients];
      for (let run = 0; run < settings.runs; run++) {
        for (const persona of ['user', 'admin'] as Persona[]) {
          for (const clients of levelsHere) {
            const paths: Path[] = size === largest && clients === sizeClients ? ['http', 'raw', 'raw-count'] : ['http', 'raw'];
            for (const path of paths) {
              const key = `${size}:${persona}:${clients}:${path}`;
              const viewer = (c: number) => (persona === 'admin' ? admin! : users[c % users.length]!);
              const walks: Walk[] = Array.from({ length: clients }, () => ({ pages: 0, cursor: null, after: null }));
              const restart = (w: Walk) => w.pages >= pagesPerWalk;
              if (path === 'http') {
                const http = new GraphQLHttpClient(api.url, clients);
                cells.add(key, await closedLoop({
                  clients, warmupMs, durationMs, watchPids: [api.pid],
                  op: async (c) => {
                    const w = walks[c]!;
                    if (restart(w)) Object.assign(w, { pages: 0, cursor: null });
                    const data = await http.request<{ jobs: { pageInfo: { endCursor: string | null } } }>(
                      JOBS_PAGE, { first: PAGE_SIZE, after: w.cursor }, viewer(c).token,
                    );
                    w.cursor = data.jobs.pageInfo.endCursor;
                    w.pages = w.cursor === null ? pagesPerWalk : w.pages + 1;
                  },
                }));
                http.close();
              } else {
                const pool = new pg.Pool({ connectionString: db.url, max: clients });
                cells.add(key, await closedLoop({
                  clients, warmupMs, durationMs,
                  op: async (c) => {
                    const w = walks[c]!;
                    if (restart(w)) Object.assign(w, { pages: 0, after: null });
                    const ownerId = persona === 'admin' ? null : viewer(c).id;
                    const q = pageQuery(ownerId, w.after);
                    const page = pool.query<{ created_at: Date; id: string }>(prepared(q.text, q.values));
                    const [{ rows }] = await Promise.all([page, path === 'raw-count' ? pool.query(prepared(countQuery(ownerId).text, countQuery(ownerId).values)) : null]);
                    const last = rows[Math.min(rows.length, PAGE_SIZE) - 1];
                    w.after = rows.length > PAGE_SIZE && last ? { createdAt: last.created_at, id: last.id } : null;
                    w.pages = w.after === null ? pagesPerWalk : w.pages + 1;
                  },
                }));
                await pool.end();
              }
            }
          }
        }
      }
    }

    // The plans behind the figures, on the largest table: what a page and its count cost.
    const someUser = users[0]!.id;
    const deep = (await db.pool.query<{ created_at: Date; id: string }>(
      `select created_at, id from jobs order by created_at desc, id desc offset ${PAGE_SIZE * pagesPerWalk} limit 1`,
    )).rows[0]!;
    const plans = {
      adminCount: await explain(db.pool, countQuery(null)),
      adminPage: await explain(db.pool, pageQuery(null, { createdAt: deep.created_at, id: deep.id })),
      userCount: await explain(db.pool, countQuery(someUser)),
      userPage: await explain(db.pool, pageQuery(someUser, null)),
    };
    evidence.push(
      { title: `EXPLAIN ANALYZE: the admin's count(*) on ${num(largest)} jobs (runs on every page)`, text: plans.adminCount },
      { title: `EXPLAIN ANALYZE: an admin page after a cursor (page ${pagesPerWalk + 1})`, text: plans.adminPage },
      { title: 'EXPLAIN ANALYZE: one user\'s count(*)', text: plans.userCount },
      { title: 'EXPLAIN ANALYZE: one user\'s first page', text: plans.userPage },
    );

    const main: Table = {
      title: `jobs(first: ${PAGE_SIZE}) with ${num(largest)} jobs (${num(userCount)} users; each client walks ${pagesPerWalk} pages by cursor, then starts over)`,
      columns: ['viewer', 'clients', 'path', 'pages/s', 'p50 ms', 'p99 ms', 'HTTP ÷ raw keyset', 'API CPU (cores)', 'errors'],
      rows: [],
    };
    const sizes: Table = {
      title: `Table size: HTTP at ${clientsLabel(sizeClients)}, by number of jobs`,
      columns: ['viewer', 'jobs', 'HTTP pages/s', 'HTTP p99 ms', 'raw keyset pages/s', 'raw p99 ms', 'HTTP ÷ raw'],
      rows: [],
    };
    const targets: TargetCheck[] = [];
    const findings: string[] = [];
    for (const persona of ['user', 'admin'] as Persona[]) {
      const who = persona === 'admin' ? 'an admin (every job)' : 'users (their own jobs)';
      for (const clients of levels) {
        const raw = cells.get(`${largest}:${persona}:${clients}:raw`);
        for (const path of ['http', 'raw', 'raw-count'] as Path[]) {
          const key = `${largest}:${persona}:${clients}:${path}`;
          if (!cells.has(key)) continue;
          const c = cells.get(key);
          main.rows.push([
            who, String(clients), PATH_LABEL[path], fig(c.opsPerSecond), fig(c.p50Ms, 1), fig(c.p99Ms, 1),
            path === 'http' ? ratio(c.opsPerSecond.median / raw.opsPerSecond.median) : '–',
            path === 'http' ? fig(c.serverCpu, 2) : '–', String(c.errors),
          ]);
          if (c.errors > 0) findings.push(`${who}, ${PATH_LABEL[path]} at ${clientsLabel(clients)}: ${c.errors} errors, first: ${c.firstError}`);
        }
      }
      for (const size of tableSizes) {
        const http = cells.get(`${size}:${persona}:${sizeClients}:http`);
        const raw = cells.get(`${size}:${persona}:${sizeClients}:raw`);
        const share = http.opsPerSecond.median / raw.opsPerSecond.median;
        sizes.rows.push([who, num(size), fig(http.opsPerSecond), fig(http.p99Ms, 1), fig(raw.opsPerSecond), fig(raw.p99Ms, 1), ratio(share)]);
        targets.push({
          target: `Read, ${persona}, ${num(size)} jobs, ${clientsLabel(sizeClients)}: p99 ≤ ${P99_TARGET_MS} ms`,
          measured: `${num(http.p99Ms.median, 1)} ms`,
          met: http.p99Ms.median <= P99_TARGET_MS,
        });
        if (size === largest) {
          targets.push({
            target: `Read, ${persona}, ${num(size)} jobs, ${clientsLabel(sizeClients)}: ≥ 0.25 × raw keyset`,
            measured: `${ratio(share)} (${num(http.opsPerSecond.median)}/s vs ${num(raw.opsPerSecond.median)}/s)`,
            met: share >= 0.25,
          });
          findings.push(cpuFinding(`${who} at ${clientsLabel(sizeClients)}`, http));
        }
      }
    }
    findings.push(
      `Every page also counts the matching jobs for totalCount (JobService.list counts them in the page's own statement, or reuses a large count kept for a second, whether or not totalCount is selected): ` +
        `on ${num(largest)} jobs the admin's count(*) took ${num(executionMs(plans.adminCount), 1)} ms against ${num(executionMs(plans.adminPage), 2)} ms for the page itself ` +
        `(plans below). A count grows with the table; the keyset page does not. One user's count took ${num(executionMs(plans.userCount), 2)} ms.`,
    );
    const rawCount = cells.get(`${largest}:admin:${sizeClients}:raw-count`);
    const rawOnly = cells.get(`${largest}:admin:${sizeClients}:raw`);
    findings.push(
      `With the count added, the raw SQL itself serves ${num(rawCount.opsPerSecond.median)} admin pages/s at ${clientsLabel(sizeClients)} ` +
        `(${ratio(rawCount.opsPerSecond.median / rawOnly.opsPerSecond.median)} of the keyset alone, p99 ${num(rawCount.p99Ms.median, 1)} ms): ` +
        'that is the ceiling of the HTTP path for admins while totalCount is an exact count.',
    );
    return {
      title: '2. Read',
      method: [
        `Seeding: ${num(userCount)} users and their job history (round-robin owners, six months of creation times, mostly finished jobs) inserted with one \`insert … select from generate_series\` per size, then VACUUM ANALYZE. ${seeding.join('; ')}.`,
        `HTTP: the web app's \`Jobs\` query (\`jobs(first: ${PAGE_SIZE})\` with totalCount, pageInfo and every job field with its owner); a user client pages through its own jobs (each client a different user, ${num(largest / userCount)} jobs each at the largest size), an admin client through everyone's.`,
        `Raw keyset: the page SQL the server sends, imported from its job queries and sent as named prepared statements, as the server does (the owner join, the row-comparison seek after the cursor, one row more than the page) on a \`pg\` pool with one connection per client. "+ count(*)" adds the count the server runs beside each page.`,
        `${warmupMs} ms warm-up and ${durationMs} ms measured per cell; closed loop.`,
      ],
      tables: [main, sizes],
      targets,
      findings,
      evidence: [...evidence, ...(await servers.stopAll())],
    };
  });
}
