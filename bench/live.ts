/**
 * Scenario 3, Live: thousands of graphql-ws subscribers held by one API process (the load runs in
 * a child process, bench/live-clients.ts) while a producer changes jobs at a fixed rate through a
 * second API process, as in a scaled-out deployment: every change crosses PostgreSQL (commit,
 * NOTIFY, the relay) to reach the subscribers. Measures deliveries/s, commit-to-client latency,
 * lost, duplicated and out-of-order deliveries, and the subscribers' API process's memory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createScenarioDatabase } from './database.js';
import { CANCEL_JOB, CREATE_JOB, GraphQLHttpClient } from './graphql-client.js';
import type { LiveAnswer, LiveCommand, LiveReport, ProducedEvent } from './live-clients.js';
import { CpuMeter, openFileLimit, raisedFileLimit } from './proc-stats.js';
import { waitForMetric } from './prometheus.js';
import { fig, num, type ScenarioResult, type Table, type TargetCheck } from './report.js';
import { Servers, type ScenarioContext } from './scenario.js';
import { seedUsers, type SeededUser } from './seed.js';
import { ROOT } from './server-process.js';
import { spread } from './stats.js';

const LATENCY_TARGET_MS = 150;
const RSS_TARGET_BYTES = 2 ** 30;
const MiB = 2 ** 20;

/** The load process, driven one command at a time. */
class LiveClients {
  private constructor(private readonly child: ChildProcess) {}

  static start(): LiveClients {
    const [command, args] = raisedFileLimit(process.execPath, [
      '--import', '@swc-node/register/esm-register', path.join(ROOT, 'bench/live-clients.ts'),
    ]);
    // Run from server/, whose tsconfig.json tells swc how to compile.
    const child = spawn(command, args, { cwd: path.join(ROOT, 'server'), stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    return new LiveClients(child);
  }

  get pid(): number {
    return this.child.pid!;
  }

  private ask<T extends LiveAnswer['type']>(command: LiveCommand, answer: T): Promise<Extract<LiveAnswer, { type: T }>> {
    return new Promise((resolve, reject) => {
      const onExit = () => reject(new Error('the live load process exited'));
      this.child.once('exit', onExit);
      this.child.once('message', (message: LiveAnswer) => {
        this.child.off('exit', onExit);
        if (message.type === answer) resolve(message as Extract<LiveAnswer, { type: T }>);
        else reject(new Error(message.type === 'error' ? message.message : `unexpected answer ${message.type}`));
      });
      this.child.send(command);
    });
  }

  /** Opens one subscribed connection per token; their socket indexes continue from the last. */
  async open(url: string, tokens: string[]): Promise<void> {
    const opened = await this.ask({ type: 'open', url, tokens }, 'opened');
    if (opened.failed > 0) throw new Error(`${opened.failed} of ${tokens.length} connections failed: ${opened.firstError}`);
  }

  async close(): Promise<void> {
    await this.ask({ type: 'close' }, 'closed');
  }

  async finish(events: ProducedEvent[], adminSockets: number[], timeoutMs: number): Promise<LiveReport> {
    return (await this.ask({ type: 'finish', events, adminSockets, timeoutMs }, 'report')).report;
  }

  stop(): void {
    this.child.kill('SIGTERM');
  }
}

/**
 * Changes jobs at `rate` per second for `ms` through the writer API, alternating between
 * submitting a job as one of `owners` and cancelling the oldest job submitted so far: two changes
 * per job, whose order every subscriber must keep.
 */
async function produce(
  writerUrl: string,
  owners: SeededUser[],
  ownerSocket: (user: SeededUser) => number,
  rate: number,
  ms: number,
): Promise<{ events: ProducedEvent[]; changesPerSecond: number; errors: number; firstError?: string }> {
  const http = new GraphQLHttpClient(writerUrl, 32);
  const events: ProducedEvent[] = [];
  const open: { jobId: string; user: SeededUser }[] = [];
  const inflight: Promise<void>[] = [];
  let errors = 0;
  let firstError: string | undefined;
  const failed = (error: unknown) => {
    errors += 1;
    firstError ??= (error as Error).message;
  };
  const total = Math.round((rate * ms) / 1000);
  const t0 = performance.now();
  const now = () => performance.timeOrigin + performance.now();
  for (let i = 0; i < total; i++) {
    const wait = t0 + (i * 1000) / rate - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const cancel = i % 2 === 1 ? open.shift() : undefined;
    if (cancel) {
      inflight.push(
        http.request(CANCEL_JOB, { id: cancel.jobId }, cancel.user.token)
          .then(() => void events.push({ jobId: cancel.jobId, step: 1, ownerSocket: ownerSocket(cancel.user), answeredAt: now() }), failed),
      );
    } else {
      // Spread the jobs over the owners (7919 is prime, so every owner gets its turn).
      const user = owners[(i * 7919) % owners.length]!;
      inflight.push(
        http.request<{ createJob: { id: string } }>(CREATE_JOB, { input: { name: 'bench-live', gpuCount: 1, hours: 1 } }, user.token)
          .then((data) => {
            events.push({ jobId: data.createJob.id, step: 0, ownerSocket: ownerSocket(user), answeredAt: now() });
            open.push({ jobId: data.createJob.id, user });
          }, failed),
      );
    }
  }
  await Promise.all(inflight);
  http.close();
  // The rate the writer actually sustained: below `rate` when it could not keep up.
  const lastAnswer = Math.max(...events.map((e) => e.answeredAt));
  const changesPerSecond = events.length / ((lastAnswer - (performance.timeOrigin + t0)) / 1000);
  return { events, changesPerSecond, errors, firstError };
}

/** One run's figures. */
interface LiveRun {
  report: LiveReport;
  changesPerSecond: number;
  rssPeak: number;
  apiCpu: number;
  producerErrors: number;
  producerError?: string;
}

export async function runLive(ctx: ScenarioContext): Promise<ScenarioResult> {
  const { settings } = ctx;
  const live = settings.live;
  const started = performance.now();
  const findings: string[] = [];
  // Each connection is a file descriptor in both the server and the load process.
  const fdLimit = openFileLimit();
  const subscribers = live.subscribers.filter((n) => n + live.admins + 500 <= fdLimit);
  if (subscribers.length < live.subscribers.length) {
    findings.push(`Skipped ${live.subscribers.filter((n) => !subscribers.includes(n)).join(', ')} subscribers: the hard open-file limit is ${fdLimit} (raise it with ulimit -Hn).`);
  }
  const fanOutSubscribers = live.fanOutSubscribers + 500 <= fdLimit ? live.fanOutSubscribers : 0;
  const maxUsers = Math.max(...subscribers, 1);
  const db = await createScenarioDatabase(ctx.database, 'live');
  const servers = new Servers(ctx);
  let clients: LiveClients | undefined;
  try {
    const users = await seedUsers(db.pool, ctx.jwtSecret, { count: maxUsers, role: 'USER', prefix: 'live-user' });
    const admins = await seedUsers(db.pool, ctx.jwtSecret, {
      count: Math.max(live.admins, fanOutSubscribers), role: 'ADMIN', prefix: 'live-admin',
    });
    const writer = await servers.start('live-writer-api', 'api', db.url);
    let hub = await servers.start('live-subscribers-api', 'api', db.url);
    clients = LiveClients.start();

    const runs = new Map<string, LiveRun[]>();
    const idleRss = new Map<string, number>();
    const measure = async (key: string, owners: SeededUser[], ownerSocket: (u: SeededUser) => number, adminSockets: number[], rate: number) => {
      const meter = CpuMeter.start(hub.pid);
      let rssPeak = hub.rssBytes();
      const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, hub.rssBytes())), 250);
      const produced = await produce(writer.url, owners, ownerSocket, rate, live.produceMs);
      const report = await clients!.finish(produced.events, adminSockets, live.drainTimeoutMs);
      clearInterval(sampler);
      const list = runs.get(key) ?? [];
      list.push({ report, changesPerSecond: produced.changesPerSecond, rssPeak, apiCpu: meter.stop().process, producerErrors: produced.errors, producerError: produced.firstError });
      runs.set(key, list);
    };

    // Users watching their own jobs, and a few admins watching everything.
    const socketOf = new Map<string, number>();
    let sockets = 0;
    const openSockets = async (list: SeededUser[]) => {
      await clients!.open(hub.url, list.map((u) => u.token));
      for (const u of list) socketOf.set(u.id, sockets++);
    };
    const watchingAdmins = admins.slice(0, live.admins);
    let connectedUsers = 0;
    for (const n of subscribers) {
      const connectStart = performance.now();
      await openSockets(users.slice(connectedUsers, n));
      if (connectedUsers === 0) await openSockets(watchingAdmins);
      connectedUsers = n;
      await waitForMetric(hub.url, 'gpuaas_subscribers', n + watchingAdmins.length, 60_000);
      idleRss.set(`owners:${n}`, hub.rssBytes());
      findings.push(`${num(n + watchingAdmins.length)} subscribers connected and subscribed in ${num((performance.now() - connectStart) / 1000, 1)} s.`);
      const owners = users.slice(0, n);
      const adminSockets = watchingAdmins.map((a) => socketOf.get(a.id)!);
      for (let run = 0; run < settings.runs; run++) {
        for (const rate of live.rates) {
          await measure(`owners:${n}:${rate}`, owners, (u) => socketOf.get(u.id)!, adminSockets, rate);
        }
      }
    }

    // Fan-out: every subscriber an admin, so every change goes to all of them. A fresh API
    // process holds them, so its memory figures are its own.
    await clients.close();
    const fanOut = admins.slice(0, fanOutSubscribers);
    if (fanOut.length > 0) {
      await hub.stop();
      hub = await servers.start('live-fanout-api', 'api', db.url);
      socketOf.clear();
      sockets = 0;
      await openSockets(fanOut);
      await waitForMetric(hub.url, 'gpuaas_subscribers', fanOut.length, 60_000);
      idleRss.set(`admins:${fanOut.length}`, hub.rssBytes());
      const fanOutSockets = fanOut.map((a) => socketOf.get(a.id)!);
      // The changes are made on jobs of users who are not connected: only the admins see them.
      for (let run = 0; run < settings.runs; run++) {
        for (const rate of live.fanOutRates) {
          await measure(`admins:${fanOut.length}:${rate}`, users.slice(0, 100), () => -1, fanOutSockets, rate);
        }
      }
      await clients.close();
    }

    const table: Table = {
      title: 'Live updates: deliveries to graphql-ws subscribers of one API process, changes made through another',
      columns: [
        'subscribers', 'changes/s', 'changes/s made', 'deliveries/s offered', 'deliveries/s', 'p50 ms', 'p99 ms', 'max ms',
        'p50 / p99 ms from the writer\'s answer',
        'lost', 'out of order', 'duplicates', 'API RSS MiB (idle → peak)', 'API CPU (cores)',
      ],
      rows: [],
    };
    const targets: TargetCheck[] = [];
    let problems = 0;
    let rss10k = Number.NaN;
    let busiest = { label: '', deliveries: 0, cpu: 0 };
    type Row = { key: string; label: string; kind: 'owners' | 'admins'; subscribers: number; perChange: number; rate: number };
    const rows: Row[] = [
      ...subscribers.flatMap((n) => live.rates.map((rate): Row => ({
        key: `owners:${n}:${rate}`, label: `${num(n)} users + ${live.admins} admins`, kind: 'owners', subscribers: n, perChange: 1 + live.admins, rate,
      }))),
      ...live.fanOutRates.map((rate): Row => ({
        key: `admins:${fanOut.length}:${rate}`, label: `${num(fanOut.length)} admins`, kind: 'admins', subscribers: fanOut.length, perChange: fanOut.length, rate,
      })),
    ];
    for (const row of rows.filter((r) => runs.has(r.key))) {
      const list = runs.get(row.key)!;
      const sum = (pick: (r: LiveRun) => number) => list.reduce((n, r) => n + pick(r), 0);
      const lost = sum((r) => r.report.lost);
      const outOfOrder = sum((r) => r.report.outOfOrder);
      const duplicates = sum((r) => r.report.duplicates);
      const rssPeak = Math.max(...list.map((r) => r.rssPeak));
      const idle = idleRss.get(`${row.kind}:${row.subscribers}`) ?? Number.NaN;
      const p99 = spread(list.map((r) => r.report.p99Ms));
      problems += lost + outOfOrder + duplicates;
      table.rows.push([
        row.label, String(row.rate), fig(spread(list.map((r) => r.changesPerSecond))), num(row.rate * row.perChange), fig(spread(list.map((r) => r.report.deliveriesPerSecond))),
        fig(spread(list.map((r) => r.report.p50Ms)), 1), fig(p99, 1), num(Math.max(...list.map((r) => r.report.maxMs)), 0),
        `${num(spread(list.map((r) => r.report.p50FromAnswerMs)).median, 1)} / ${num(spread(list.map((r) => r.report.p99FromAnswerMs)).median, 1)}`,
        String(lost), String(outOfOrder), String(duplicates),
        `${num(idle / MiB)} → ${num(rssPeak / MiB)}`, fig(spread(list.map((r) => r.apiCpu)), 2),
      ]);
      const producerErrors = sum((r) => r.producerErrors);
      if (producerErrors > 0) findings.push(`${row.label} at ${row.rate}/s: ${producerErrors} producer errors, first: ${list.find((r) => r.producerError)?.producerError}`);
      const stray = sum((r) => r.report.stray);
      if (stray > 0) findings.push(`${row.label} at ${row.rate}/s: ${stray} deliveries of earlier runs' changes arrived late (after their run's ${live.drainTimeoutMs / 1000} s drain).`);
      if (row.subscribers === 1000 && row.rate === 10) {
        targets.push({
          target: `Live, ${row.label} × 10 changes/s: p99 ≤ ${LATENCY_TARGET_MS} ms`,
          measured: `${num(p99.median, 1)} ms`,
          met: p99.median <= LATENCY_TARGET_MS,
        });
      }
      if (row.kind === 'owners' && row.subscribers === 10_000) rss10k = Math.max(Number.isNaN(rss10k) ? 0 : rss10k, rssPeak);
      const deliveries = spread(list.map((r) => r.report.deliveriesPerSecond)).median;
      const cpu = spread(list.map((r) => r.apiCpu)).median;
      busiest = deliveries > busiest.deliveries ? { label: `${row.label} at ${row.rate}/s`, deliveries, cpu } : busiest;
    }
    if (busiest.deliveries > 0) {
      const usPerDelivery = (busiest.cpu / busiest.deliveries) * 1e6;
      findings.push(
        `Each delivery costs the subscribers' API process about ${num(usPerDelivery)} µs of CPU (${busiest.label}: ${num(busiest.cpu, 2)} cores for ${num(busiest.deliveries)} deliveries/s, ` +
          'which includes serialising and sending the message to every subscriber, executing each distinct selection once per change (SharedSubscriptions), and the relay\'s reads), so one API process tops out near ' +
          `${num(Math.round(1e6 / usPerDelivery / 1000) * 1000)} deliveries/s on one core of this machine. Changes reach only their owner's and admins' subscriptions, so connected users who see none of them cost memory, not CPU.`,
      );
    }
    targets.push({
      target: 'Live: 10,000 subscribers held with RSS ≤ 1 GB',
      measured: Number.isNaN(rss10k) ? 'not run (fewer subscribers in this mode)' : `${num(rss10k / MiB)} MiB at peak`,
      met: Number.isNaN(rss10k) ? null : rss10k <= RSS_TARGET_BYTES,
    });
    targets.push({ target: 'Live: no event lost, duplicated or reordered', measured: `${problems} problems over every run`, met: problems === 0 });

    return {
      title: '3. Live',
      method: [
        'Two API processes on one database: subscribers connect to one; a producer in the bench process changes jobs through the other at a fixed rate, so every change travels commit → NOTIFY → the subscribers\' API\'s relay → each allowed subscription.',
        `Changes: \`createJob\` as one of the subscribed users, then \`cancelJob\` of the oldest open job, alternating (two changes per job, whose order each subscriber must keep); ${live.produceMs / 1000} s per run, then up to ${live.drainTimeoutMs / 1000} s for the last deliveries.`,
        `Subscribers: a separate load process (bench/live-clients.ts, the test suite's graphql-ws client) holds one connection per user, each with the web app's \`jobStatusChanged\` subscription. Users see only their own jobs; ${live.admins} admins see every change. The fan-out rows connect only admins, so every change goes to every subscriber.`,
        'Latency: from the change\'s `at` (stamped by the writing process just before its transaction commits, so it includes the commit itself) to its arrival at the subscriber, on the same machine\'s clock; and, as a lower bound, from the moment the writer\'s HTTP answer reached the producer (the commit was done by then). Every (subscriber, job, change) is checked: lost, duplicated, or a cancellation before its creation.',
        'RSS: VmRSS of the subscribers\' API process from /proc, idle with everyone connected and peak during the runs.',
      ],
      tables: [table],
      targets,
      findings,
      evidence: await servers.stopAll(),
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    clients?.stop();
    await servers.stopAll();
    await db.drop();
  }
}
