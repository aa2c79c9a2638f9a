import { createClient, type Client } from 'graphql-ws';
import { ref } from 'vue';

/**
 * The WebSocket for `jobStatusChanged`. graphql-ws sends `connectionParams` once per socket, so
 * the socket is opened after login with the token, reopened when the token changes and closed
 * on logout. graphql-ws gives up on some closes (1001 when the server restarts, 1006 when it
 * vanishes); this module then builds a new client after a pause, for as long as the session lasts.
 */

/** What the navbar shows: no session, trying to connect, or receiving changes. */
export type SocketStatus = 'offline' | 'connecting' | 'live';

/** The server refuses a socket whose token it does not accept with this code. */
const FORBIDDEN_CLOSE_CODE = 4403;
const MAX_WAIT_MS = 10_000;

export const socketStatus = ref<SocketStatus>('offline');
/** Bumped whenever a new graphql-ws client replaces the old one: subscriptions must start again. */
export const socketGeneration = ref(0);

let client: Client | null = null;
/** Which build is current: events of a replaced client (they may still fire) are ignored. */
let currentBuild = 0;
let token: string | null = null;
/** Successful connections in this session: from the second on, something may have been missed. */
let connections = 0;
let failures = 0;
let rebuildTimer: ReturnType<typeof setTimeout> | undefined;

const reconnectedListeners = new Set<() => void>();
const rejectedListeners = new Set<() => void>();

/** Calls `listener` after every connection but a session's first (views should refetch then). */
export function onSocketReconnected(listener: () => void): () => void {
  reconnectedListeners.add(listener);
  return () => reconnectedListeners.delete(listener);
}

/** Calls `listener` when the server refuses the token (expired or revoked). */
export function onSocketRejected(listener: () => void): () => void {
  rejectedListeners.add(listener);
  return () => rejectedListeners.delete(listener);
}

/** The current graphql-ws client, or null without a session. */
export function currentSocketClient(): Client | null {
  return client;
}

function socketUrl(): string {
  const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws';
  return `${scheme}://${window.location.host}/graphql`;
}

function backoff(attempt: number): number {
  return Math.min(500 * 2 ** attempt, MAX_WAIT_MS) + Math.random() * 300;
}

function isCloseEvent(value: unknown): value is { code: number } {
  return typeof value === 'object' && value !== null && typeof (value as { code?: unknown }).code === 'number';
}

/** Disposes a client; its last connection attempt may still fail, which no one needs to hear about. */
function dispose(old: Client): void {
  void Promise.resolve(old.dispose()).catch(() => undefined);
}

function build(): void {
  const buildId = ++currentBuild;
  const isCurrent = () => buildId === currentBuild;
  // A non-lazy client connects (and emits) while it is being created: handlers use buildId, not the client.
  const built: Client = createClient({
    url: socketUrl(),
    lazy: false,
    connectionParams: { authorization: `Bearer ${token}` },
    retryAttempts: Number.POSITIVE_INFINITY,
    shouldRetry: () => true,
    retryWait: (retries) => new Promise((resolve) => setTimeout(resolve, backoff(retries))),
    on: {
      connecting: () => {
        if (isCurrent()) socketStatus.value = 'connecting';
      },
      connected: () => {
        if (!isCurrent()) return;
        socketStatus.value = 'live';
        failures = 0;
        connections += 1;
        if (connections > 1) reconnectedListeners.forEach((listener) => listener());
      },
      closed: (event) => {
        if (!isCurrent()) return;
        if (isCloseEvent(event) && event.code === FORBIDDEN_CLOSE_CODE) {
          rejectedListeners.forEach((listener) => listener());
          return;
        }
        socketStatus.value = 'connecting';
      },
    },
    onNonLazyError: () => {
      // graphql-ws stopped retrying (the server went away): start over with a new client.
      if (!isCurrent()) return;
      socketStatus.value = 'connecting';
      clearTimeout(rebuildTimer);
      rebuildTimer = setTimeout(() => {
        if (!isCurrent()) return;
        dispose(built);
        build();
      }, backoff(failures++));
    },
  });
  client = built;
  socketGeneration.value += 1;
}

/** Opens the socket for `newToken`, closing any socket opened with another token. */
export function openSocket(newToken: string): void {
  if (client && token === newToken) return;
  closeSocket();
  token = newToken;
  connections = 0;
  failures = 0;
  socketStatus.value = 'connecting';
  build();
}

/** Closes the socket (logout, or a token the server refused). */
export function closeSocket(): void {
  clearTimeout(rebuildTimer);
  const old = client;
  client = null;
  currentBuild += 1;
  token = null;
  socketStatus.value = 'offline';
  if (old) {
    socketGeneration.value += 1;
    dispose(old);
  }
}
