/**
 * The live scenario's load process: holds thousands of graphql-ws connections to one API process
 * (through the test suite's client, test/ws-client.ts), each subscribed to `jobStatusChanged`,
 * and records when every change arrives at every subscriber. Runs as a child of bench/live.ts,
 * which drives it over the IPC channel, so its CPU is neither the server's nor the producer's.
 */
import type { Client } from 'graphql-ws';
import { connect } from '../server/test/ws-client.js';
import { JOB_STATUS_CHANGED } from './graphql-client.js';
import { percentile } from './stats.js';

/** Connections opened at once. */
const OPEN_BATCH = 250;

/** A change the producer made: the job, and which of its two changes (0 created, 1 cancelled). */
export interface ProducedEvent {
  jobId: string;
  step: 0 | 1;
  /** Index of the owner's socket, or -1 when the owner is not connected. */
  ownerSocket: number;
  /** When the writer's answer reached the producer (wall clock, ms): the commit was done by then. */
  answeredAt: number;
}

/** Messages from bench/live.ts. */
export type LiveCommand =
  | { type: 'open'; url: string; tokens: string[] }
  | { type: 'close' }
  | { type: 'finish'; events: ProducedEvent[]; adminSockets: number[]; timeoutMs: number };

/** What one run's deliveries came to. */
export interface LiveReport {
  expected: number;
  delivered: number;
  lost: number;
  duplicates: number;
  outOfOrder: number;
  /** Deliveries of changes that were not produced in this run (late ones of an earlier run). */
  stray: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Latency counted from the writer's answer instead (a lower bound: the commit precedes it). */
  p50FromAnswerMs: number;
  p99FromAnswerMs: number;
  deliveriesPerSecond: number;
  /** Milliseconds from the end of the run until the last expected delivery (or the timeout). */
  drainMs: number;
}

/** Answers to bench/live.ts. */
export type LiveAnswer =
  | { type: 'opened'; total: number; failed: number; firstError?: string }
  | { type: 'closed' }
  | { type: 'report'; report: LiveReport }
  | { type: 'error'; message: string };

interface Delivery {
  socket: number;
  jobId: string;
  step: number;
  receivedAt: number;
  latencyMs: number;
}

/** Connections by socket number. */
const clients: Client[] = [];
let deliveries: Delivery[] = [];

/** Now on the wall clock, sub-millisecond: comparable with the servers' timestamps. */
const wallClock = () => performance.timeOrigin + performance.now();

function send(answer: LiveAnswer): void {
  process.send!(answer);
}

function subscribe(client: Client, socket: number): void {
  client.subscribe<{ jobStatusChanged: { status: string; at: string; job: { id: string } } }>(
    { query: JOB_STATUS_CHANGED },
    {
      next: (value) => {
        const change = value.data?.jobStatusChanged;
        if (!change) return;
        const receivedAt = wallClock();
        deliveries.push({
          socket,
          jobId: change.job.id,
          step: change.status === 'PENDING' ? 0 : change.status === 'CANCELLED' ? 1 : 2,
          receivedAt,
          // `at` is stamped by the writing process just before its transaction commits.
          latencyMs: receivedAt - Date.parse(change.at),
        });
      },
      error: () => {},
      complete: () => {},
    },
  );
}

async function open(url: string, tokens: string[]): Promise<void> {
  let failed = 0;
  let firstError: string | undefined;
  // Socket numbers follow the order of the tokens, whatever order the connections complete in.
  const first = clients.length;
  clients.length += tokens.length;
  for (let i = 0; i < tokens.length; i += OPEN_BATCH) {
    await Promise.all(
      tokens.slice(i, i + OPEN_BATCH).map(async (token, j) => {
        const socket = first + i + j;
        const { client, connected, closed } = connect(url, token);
        clients[socket] = client;
        try {
          await Promise.race([
            connected,
            closed.then((c) => Promise.reject(new Error(`closed ${c.code} ${c.reason}`))),
          ]);
          subscribe(client, socket);
        } catch (error) {
          failed += 1;
          firstError ??= (error as Error).message;
          void client.dispose();
        }
      }),
    );
  }
  send({ type: 'opened', total: clients.length, failed, firstError });
}

/** Waits until every expected delivery arrived (or `timeoutMs`), then checks and sums them up. */
async function finish(events: ProducedEvent[], adminSockets: number[], timeoutMs: number): Promise<void> {
  const produced = new Map<string, number>();
  const jobs: string[] = [];
  const answeredAt = new Map<string, number>();
  for (const e of events) {
    if (!produced.has(e.jobId)) produced.set(e.jobId, jobs.push(e.jobId) - 1);
    answeredAt.set(`${e.jobId}:${e.step}`, e.answeredAt);
  }
  const sockets = clients.length;
  // One slot per (socket, job, step): how often it arrived.
  const slot = (socket: number, job: number, step: number) => (job * sockets + socket) * 2 + step;
  const expectedSlots = new Set<number>();
  for (const e of events) {
    const job = produced.get(e.jobId)!;
    if (e.ownerSocket >= 0) expectedSlots.add(slot(e.ownerSocket, job, e.step));
    for (const s of adminSockets) expectedSlots.add(slot(s, job, e.step));
  }
  const matched = () => deliveries.reduce((n, d) => n + (produced.has(d.jobId) ? 1 : 0), 0);
  const endedAt = wallClock();
  const deadline = Date.now() + timeoutMs;
  let lastCount = -1;
  for (;;) {
    const n = matched();
    if (n >= expectedSlots.size || Date.now() > deadline) break;
    // Counting is O(deliveries): look again only after something arrived or a short pause.
    await new Promise((r) => setTimeout(r, n === lastCount ? 50 : 20));
    lastCount = n;
  }

  const counts = new Uint8Array(jobs.length * sockets * 2);
  const latencies: number[] = [];
  const fromAnswer: number[] = [];
  let duplicates = 0;
  let outOfOrder = 0;
  let stray = 0;
  let firstAt = Number.POSITIVE_INFINITY;
  let lastReceived = 0;
  for (const d of deliveries) {
    const job = produced.get(d.jobId);
    if (job === undefined || d.step > 1) {
      stray += 1;
      continue;
    }
    const i = slot(d.socket, job, d.step);
    if (counts[i]! > 0) duplicates += 1;
    // The cancellation must never arrive before the creation, on any socket.
    if (d.step === 1 && counts[slot(d.socket, job, 0)] === 0) outOfOrder += 1;
    counts[i] = Math.min(255, counts[i]! + 1);
    if (counts[i] === 1) {
      latencies.push(d.latencyMs);
      fromAnswer.push(d.receivedAt - answeredAt.get(`${d.jobId}:${d.step}`)!);
      firstAt = Math.min(firstAt, d.receivedAt - d.latencyMs);
      lastReceived = Math.max(lastReceived, d.receivedAt);
    }
  }
  let lost = 0;
  for (const i of expectedSlots) if (counts[i] === 0) lost += 1;
  latencies.sort((a, b) => a - b);
  fromAnswer.sort((a, b) => a - b);
  const delivered = latencies.length;
  send({
    type: 'report',
    report: {
      expected: expectedSlots.size,
      delivered,
      lost,
      duplicates,
      outOfOrder,
      stray,
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
      maxMs: latencies.at(-1) ?? Number.NaN,
      p50FromAnswerMs: percentile(fromAnswer, 50),
      p99FromAnswerMs: percentile(fromAnswer, 99),
      deliveriesPerSecond: delivered === 0 ? 0 : delivered / ((lastReceived - firstAt) / 1000),
      drainMs: Math.max(0, (lost === 0 ? lastReceived : wallClock()) - endedAt),
    },
  });
  deliveries = [];
}

async function close(): Promise<void> {
  await Promise.all(clients.splice(0).map((c) => c.dispose()));
  deliveries = [];
  send({ type: 'closed' });
}

process.on('message', (command: LiveCommand) => {
  const done =
    command.type === 'open'
      ? open(command.url, command.tokens)
      : command.type === 'close'
        ? close()
        : finish(command.events, command.adminSockets, command.timeoutMs);
  done.catch((error: unknown) => send({ type: 'error', message: error instanceof Error ? error.message : String(error) }));
});
process.on('disconnect', () => process.exit(0));
