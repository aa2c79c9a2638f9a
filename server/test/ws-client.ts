/** A graphql-ws client for tests: subscribes and collects what arrives. */
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

/** The close of a refused or ended connection. */
export interface Closed {
  code: number;
  reason: string;
}

export class Subscription<T = any> {
  readonly received: T[] = [];
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
          if (value.data) this.received.push(value.data as T);
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

/** Opens a graphql-ws client to `baseUrl` with a token (or none); `closed` resolves when the socket closes. */
export function connect(baseUrl: string, token?: string): { client: Client; closed: Promise<Closed>; connected: Promise<void> } {
  let onClosed!: (c: Closed) => void;
  let onConnected!: () => void;
  const closed = new Promise<Closed>((resolve) => (onClosed = resolve));
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
  return { client, closed, connected };
}

export const JOB_CHANGES = `subscription ($jobId: ID) {
  jobStatusChanged(jobId: $jobId) { previousStatus status progress at job { id name status progress owner { id } } }
}`;
