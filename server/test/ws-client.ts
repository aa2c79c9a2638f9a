/** A graphql-ws client for tests: subscribes and collects what arrives. */
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { submitJob, type GqlEndpoint } from './factories.js';
import type { TestUser } from './harness.js';

/** The close of a refused or ended connection. */
export interface Closed {
  code: number;
  reason: string;
}

export class Subscription<T = any> {
  readonly received: T[] = [];
  /** When each of `received` arrived (Date.now()), for latency and spacing checks. */
  readonly receivedAt: number[] = [];
  readonly errors: unknown[] = [];
  completed = false;
  private waiters: { check: () => boolean; resolve: () => void }[] = [];

  constructor(
    readonly client: Client,
    query: string,
    variables: Record<string, unknown> = {},
  ) {
    client.subscribe<T>(
      { query, variables },
      {
        next: (value) => {
          if (value.data) {
            this.received.push(value.data as T);
            this.receivedAt.push(Date.now());
          }
          if (value.errors) this.errors.push(...value.errors);
          this.poke();
        },
        error: (error) => {
          this.errors.push(error);
          this.poke();
        },
        complete: () => {
          this.completed = true;
          this.poke();
        },
      },
    );
  }

  private poke(): void {
    this.waiters = this.waiters.filter((w) => {
      if (!w.check()) return true;
      w.resolve();
      return false;
    });
  }

  /** Waits until `check` holds for what was received, or fails after `timeoutMs`. */
  until(check: (received: T[]) => boolean, timeoutMs = 15_000): Promise<void> {
    if (check(this.received)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`timed out; received ${JSON.stringify(this.received).slice(0, 2000)}, errors ${JSON.stringify(this.errors)}`)),
        timeoutMs,
      );
      this.waiters.push({
        check: () => check(this.received),
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }
}

/** A graphql-ws client's connection. */
export interface Connection {
  client: Client;
  /** Resolves when the socket closes. */
  closed: Promise<Closed>;
  /** Resolves when the server acknowledged the connection. */
  connected: Promise<void>;
  /** Whether the socket has closed by now. */
  isClosed(): boolean;
}

/** Opens a graphql-ws client to `baseUrl` with a token (or none). */
export function connect(baseUrl: string, token?: string): Connection {
  let onClosed!: (c: Closed) => void;
  let onConnected!: () => void;
  let hasClosed = false;
  const closed = new Promise<Closed>((resolve) => (onClosed = resolve)).finally(() => (hasClosed = true));
  const connected = new Promise<void>((resolve) => (onConnected = resolve));
  const client = createClient({
    url: `${baseUrl.replace(/^http/, 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: token === undefined ? {} : { authorization: `Bearer ${token}` },
    retryAttempts: 0,
    lazy: false,
    on: {
      connected: () => onConnected(),
      closed: (event) => {
        const e = event as { code: number; reason: string };
        onClosed({ code: e.code, reason: String(e.reason) });
      },
    },
    onNonLazyError: () => {},
  });
  return { client, closed, connected, isClosed: () => hasClosed };
}

/** Resolves with the close, or with 'open' when the socket is still open after `ms`. */
export function closedWithin(closed: Promise<Closed>, ms: number): Promise<Closed | 'open'> {
  let timer: NodeJS.Timeout | undefined;
  const open = new Promise<'open'>((resolve) => (timer = setTimeout(() => resolve('open'), ms)));
  return Promise.race([closed, open]).finally(() => clearTimeout(timer));
}

export const JOB_CHANGES = `subscription ($jobId: ID) {
  jobStatusChanged(jobId: $jobId) { previousStatus status progress at job { id name status progress owner { id } } }
}`;

export const QUOTA_CHANGED = 'subscription QuotaChanged { quotaChanged { month limitGpuHours usedGpuHours remainingGpuHours } }';

/** One message as `QUOTA_CHANGED` selects it. */
export interface QuotaMessage {
  quotaChanged: { month: string; limitGpuHours: number; usedGpuHours: number; remainingGpuHours: number };
}

/** One change as `JOB_CHANGES` selects it. */
export interface Change {
  jobStatusChanged: {
    previousStatus: string | null;
    status: string;
    progress: number;
    at: string;
    job: { id: string; name: string; status: string; progress: number; owner: { id: string } };
  };
}

/**
 * Makes sure subscriptions are live on the server before a test relies on them, without a
 * fixed sleep: submits a probe job (through `submitProbe`) until every subscription has received
 * one, and returns the probes' ids, which the caller should leave out of its checks. Where the
 * server runs in the test's process, `TestServer.untilSubscriptions` waits for the registration
 * itself and needs no probe.
 */
export async function waitForLiveSubscriptions(
  subs: Subscription<Change>[],
  submitProbe: () => Promise<string>,
  attempts = 20,
): Promise<string[]> {
  const probes: string[] = [];
  for (let i = 0; i < attempts; i++) {
    probes.push(await submitProbe());
    const seen = (list: Change[]) => list.some((c) => probes.includes(c.jobStatusChanged.job.id));
    try {
      await Promise.all(subs.map((s) => s.until(seen, 1500)));
      return probes;
    } catch {
      // Not subscribed yet when the probe was announced: try another one.
    }
  }
  throw new Error(`subscriptions saw none of ${attempts} probe jobs; errors ${JSON.stringify(subs.map((s) => s.errors))}`);
}

/** A small job that fits any quota, submitted only to be seen by subscriptions. */
export const PROBE_JOB = { name: 'probe', gpuCount: 1, hours: 0.1 };

/** Proves `subs` live and delivering: `user` submits probe jobs through `api` until each has received one. */
export function proveDelivers(api: GqlEndpoint, user: Pick<TestUser, 'token'>, ...subs: Subscription<Change>[]): Promise<string[]> {
  return waitForLiveSubscriptions(subs, async () => (await submitJob(api, user, PROBE_JOB)).id);
}
