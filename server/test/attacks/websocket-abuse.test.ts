/**
 * Abusive WebSocket clients: connection floods, subscription floods, frames that break the
 * graphql-transport-ws protocol, sockets that never initialise, and operations over the query
 * limits. Each is refused on its own socket while other clients are still served.
 */
import { CloseCode, MessageType } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUERY_LIMITS } from '../../src/graphql/query-limits.js';
import { WebSocketCloseCode } from '../../src/graphql/close-codes.js';
import { CONNECTION_INIT_TIMEOUT_MS, MAX_WS_MESSAGE_BYTES } from '../../src/graphql/websocket.js';
import { TestServer } from '../harness.js';
import { submitJob } from '../factories.js';
import { JOB_CHANGES, Subscription, connect, proveDelivers, type Change, type Closed } from '../ws-client.js';

const SOCKETS_PER_USER = 20;
const SUBSCRIPTIONS_PER_SOCKET = 10;

/** A raw `ws` socket speaking (or abusing) graphql-transport-ws, with what it received. */
interface RawSocket {
  socket: WebSocket;
  messages: { type: string; id?: string; payload?: unknown }[];
  opened: Promise<void>;
  closed: Promise<Closed>;
  /** Resolves when a message of `type` arrives, or with the close if the socket closes first. */
  next(type: string): Promise<'received' | Closed>;
}

function rawSocket(server: TestServer, protocols: string[] = ['graphql-transport-ws']): RawSocket {
  const socket = new WebSocket(`${server.url.replace(/^http/, 'ws')}/graphql`, protocols);
  const messages: RawSocket['messages'] = [];
  const waiters: (() => void)[] = [];
  let closedWith: Closed | undefined;
  const closed = new Promise<Closed>((resolve) => {
    socket.on('close', (code, reason) => {
      closedWith = { code, reason: reason.toString() };
      resolve(closedWith);
      for (const w of waiters) w();
    });
  });
  socket.on('error', () => {});
  socket.on('message', (data) => {
    messages.push(JSON.parse(String(data)) as RawSocket['messages'][number]);
    for (const w of waiters) w();
  });
  const opened = new Promise<void>((resolve) => socket.once('open', () => resolve()));
  return {
    socket,
    messages,
    opened,
    closed,
    next: (type) =>
      new Promise((resolve) => {
        const check = () => {
          if (messages.some((m) => m.type === type)) resolve('received');
          else if (closedWith) resolve(closedWith);
          else return false;
          return true;
        };
        if (!check()) waiters.push(() => void check());
      }),
  };
}

function init(raw: RawSocket, token?: string): void {
  raw.socket.send(JSON.stringify({ type: MessageType.ConnectionInit, payload: token ? { authorization: `Bearer ${token}` } : {} }));
}

describe('WebSocket abuse', () => {
  let server: TestServer;
  const opened: { close(): void }[] = [];

  beforeAll(async () => {
    server = await TestServer.start({ EVENT_POLL_MS: '100' });
  });
  afterAll(async () => {
    for (const s of opened) s.close();
    await server?.close();
  });

  /** A live subscription of a fresh user, proven to deliver. */
  async function bystander() {
    const user = await server.register('bystander');
    const ws = connect(server.url, user.token);
    opened.push({ close: () => ws.client.dispose() });
    await ws.connected;
    const sub = new Subscription<Change>(ws.client, JOB_CHANGES);
    await proveDelivers(server, user, sub);
    return { user, ws, sub };
  }

  it('should accept at most WS_CONNECTIONS_PER_USER of 500 connections of one user and close the rest with 4129', async () => {
    expect(server.config.limits.socketsPerUser).toBe(SOCKETS_PER_USER);
    const flooder = await server.register('flooder');
    const other = await bystander();
    const sockets: RawSocket[] = [];
    const outcomes: ('received' | Closed)[] = [];
    for (let start = 0; start < 500; start += 50) {
      const batch = Array.from({ length: 50 }, () => rawSocket(server));
      sockets.push(...batch);
      for (const s of batch) opened.push({ close: () => s.socket.terminate() });
      await Promise.all(batch.map((s) => s.opened));
      for (const s of batch) init(s, flooder.token);
      outcomes.push(...(await Promise.all(batch.map((s) => s.next(MessageType.ConnectionAck)))));
    }
    const accepted = outcomes.filter((o) => o === 'received').length;
    const refused = outcomes.filter((o): o is Closed => o !== 'received');
    expect(accepted).toBe(SOCKETS_PER_USER);
    expect(refused).toHaveLength(500 - SOCKETS_PER_USER);
    for (const c of refused) expect(c).toEqual({ code: WebSocketCloseCode.TooManyConnections, reason: 'Too many connections for this user' });

    // Other users are served meanwhile.
    await proveDelivers(server, other.user, other.sub);
    const third = await bystander();
    expect(third.ws.isClosed()).toBe(false);

    // Closing the flood frees the slots: the user can connect and subscribe again.
    for (const s of sockets) s.socket.close();
    await Promise.all(sockets.map((s) => s.closed));
    const again = connect(server.url, flooder.token);
    opened.push({ close: () => again.client.dispose() });
    await again.connected;
    await proveDelivers(server, flooder, new Subscription<Change>(again.client, JOB_CHANGES));
  });

  it('should refuse the 11th subscription on one connection with an error and keep the first 10 delivering', async () => {
    expect(server.config.limits.subscriptionsPerSocket).toBe(SUBSCRIPTIONS_PER_SOCKET);
    const user = await server.register('subflood');
    const ws = connect(server.url, user.token);
    opened.push({ close: () => ws.client.dispose() });
    await ws.connected;
    const first = new Subscription<Change>(ws.client, JOB_CHANGES);
    await proveDelivers(server, user, first);
    const more = Array.from({ length: SUBSCRIPTIONS_PER_SOCKET }, () => new Subscription<Change>(ws.client, JOB_CHANGES));
    const all = [first, ...more];
    await expect.poll(() => all.filter((s) => s.errors.length > 0).length, { timeout: 5000 }).toBe(1);

    const refused = all.find((s) => s.errors.length > 0)!;

    // The ten accepted ones all deliver the next event, on the socket the refusal left open.
    const live = all.filter((s) => s !== refused);
    const { id } = await submitJob(server, user, { name: 'fan-out', gpuCount: 1, hours: 0.1 });
    await Promise.all(live.map((s) => s.until((list) => list.some((c) => c.jobStatusChanged.job.id === id), 5000)));
    expect(ws.isClosed()).toBe(false);

    // The refusal says why, as a rate limit.
    expect(refused.errors).toEqual([
      [{ message: `At most ${SUBSCRIPTIONS_PER_SOCKET} subscriptions per connection`, extensions: { code: 'RATE_LIMITED' } }],
    ]);
  });

  it('should free a subscription slot when the client completes a subscription', async () => {
    const user = await server.register('subslot');
    const ws = connect(server.url, user.token);
    opened.push({ close: () => ws.client.dispose() });
    await ws.connected;
    const probe = new Subscription<Change>(ws.client, JOB_CHANGES);
    await proveDelivers(server, user, probe);
    // Other tests' subscriptions stay open until the file ends, so this one counts from here.
    const before = server.app.jobChanges.size;
    const unsubscribes = Array.from({ length: SUBSCRIPTIONS_PER_SOCKET - 1 }, () =>
      ws.client.subscribe({ query: JOB_CHANGES }, { next: () => {}, error: () => {}, complete: () => {} }),
    );
    await server.untilSubscriptions(before + SUBSCRIPTIONS_PER_SOCKET - 1);
    const refused = new Subscription<Change>(ws.client, JOB_CHANGES);
    await expect.poll(() => refused.errors.length, { timeout: 3000 }).toBe(1);

    for (const unsubscribe of unsubscribes.slice(0, 3)) unsubscribe();
    await server.untilSubscriptions(before + SUBSCRIPTIONS_PER_SOCKET - 4);
    const accepted = new Subscription<Change>(ws.client, JOB_CHANGES);
    await proveDelivers(server, user, accepted);
    expect(accepted.errors).toEqual([]);
  });

  describe('frames that break the protocol', () => {
    async function initialised(): Promise<RawSocket> {
      const user = await server.register('garbage');
      const raw = rawSocket(server);
      opened.push({ close: () => raw.socket.terminate() });
      await raw.opened;
      init(raw, user.token);
      expect(await raw.next(MessageType.ConnectionAck)).toBe('received');
      return raw;
    }

    it('should close a socket that sends text that is not JSON with 4400', async () => {
      const raw = await initialised();
      raw.socket.send('this is { not json');
      expect(await raw.closed).toEqual({ code: CloseCode.BadRequest, reason: 'Invalid message received' });
    });

    it('should close a socket that sends binary junk with 4400', async () => {
      const raw = await initialised();
      raw.socket.send(Buffer.from([0xff, 0x00, 0xfe, 0x13, 0x37, 0x80, 0x81]), { binary: true });
      expect(await raw.closed).toEqual({ code: CloseCode.BadRequest, reason: 'Invalid message received' });
    });

    it('should close a socket that sends a JSON message of an unknown type with 4400', async () => {
      const raw = await initialised();
      raw.socket.send(JSON.stringify({ type: 'start', id: '1', payload: { query: '{ me { id } }' } }));
      expect(await raw.closed).toEqual({ code: CloseCode.BadRequest, reason: 'Invalid message received' });
    });

    it('should close a socket that sends a subscribe without a query with 4400', async () => {
      const raw = await initialised();
      raw.socket.send(JSON.stringify({ type: MessageType.Subscribe, id: '1', payload: { variables: {} } }));
      expect(await raw.closed).toEqual({ code: CloseCode.BadRequest, reason: 'Invalid message received' });
    });

    it('should close a socket that sends a 100 KB frame with 1009 (message too big)', async () => {
      const raw = await initialised();
      const frame = JSON.stringify({ type: MessageType.Subscribe, id: '1', payload: { query: `# ${'x'.repeat(100 * 1024)}\n{ gpuTypes }` } });
      expect(frame.length).toBeGreaterThan(MAX_WS_MESSAGE_BYTES);
      raw.socket.send(frame);
      expect((await raw.closed).code).toBe(1009);
    });

    it('should close a socket that subscribes before connection_init with 4401', async () => {
      const raw = rawSocket(server);
      await raw.opened;
      raw.socket.send(JSON.stringify({ type: MessageType.Subscribe, id: '1', payload: { query: JOB_CHANGES } }));
      expect(await raw.closed).toEqual({ code: CloseCode.Unauthorized, reason: 'Unauthorized' });
    });

    it('should close a socket that sends connection_init twice with 4429', async () => {
      const raw = await initialised();
      init(raw);
      expect(await raw.closed).toEqual({ code: CloseCode.TooManyInitialisationRequests, reason: 'Too many initialisation requests' });
    });

    it('should close a socket that reuses a live subscription id with 4409', async () => {
      const raw = await initialised();
      const subscribe = JSON.stringify({ type: MessageType.Subscribe, id: 'same', payload: { query: JOB_CHANGES } });
      raw.socket.send(subscribe);
      raw.socket.send(subscribe);
      expect(await raw.closed).toEqual({ code: CloseCode.SubscriberAlreadyExists, reason: 'Subscriber for same already exists' });
    });

    it('should close a socket that initialises without a token, or with a bad one, with 4403', async () => {
      for (const token of [undefined, 'garbage', 'x'.repeat(10_000)]) {
        const raw = rawSocket(server);
        await raw.opened;
        init(raw, token);
        expect(await raw.closed).toEqual({ code: CloseCode.Forbidden, reason: 'Forbidden' });
      }
    });

    it('should close a socket that asks for no subprotocol with 4406', async () => {
      const raw = rawSocket(server, []);
      expect(await raw.closed).toEqual({ code: CloseCode.SubprotocolNotAcceptable, reason: 'Subprotocol not acceptable' });
    });

    it('should not open a socket that asks only for the legacy graphql-ws subprotocol', async () => {
      const raw = rawSocket(server, ['graphql-ws']);
      // The handshake offers no subprotocol back, so the client gives up on it (1006) before any frame.
      const closed = await raw.closed;
      expect([1006, CloseCode.SubprotocolNotAcceptable]).toContain(closed.code);
      expect(raw.messages).toEqual([]);
    });

    it('should close a socket that never sends connection_init with 4408 after about 3 seconds', async () => {
      const raw = rawSocket(server);
      await raw.opened;
      const started = Date.now();
      expect(await raw.closed).toEqual({ code: CloseCode.ConnectionInitialisationTimeout, reason: 'Connection initialisation timeout' });
      const elapsed = Date.now() - started;
      expect(elapsed).toBeGreaterThanOrEqual(CONNECTION_INIT_TIMEOUT_MS - 100);
      expect(elapsed).toBeLessThan(CONNECTION_INIT_TIMEOUT_MS + 2000);
    });

    it('should keep serving other clients while garbage arrives on many sockets at once', async () => {
      const other = await bystander();
      const junk = await Promise.all(Array.from({ length: 30 }, () => initialised()));
      junk.forEach((raw, i) => {
        if (i % 3 === 0) raw.socket.send('{{{{');
        else if (i % 3 === 1) raw.socket.send(Buffer.alloc(MAX_WS_MESSAGE_BYTES + 1, 0x41));
        else raw.socket.send(JSON.stringify({ type: 'nonsense' }));
      });
      const closes = await Promise.all(junk.map((raw) => raw.closed));
      expect(closes.every((c) => [CloseCode.BadRequest, 1009].includes(c.code))).toBe(true);
      await proveDelivers(server, other.user, other.sub);
      expect(other.ws.isClosed()).toBe(false);
    });
  });

  describe('operations over the query limits', () => {
    async function subscriber() {
      const user = await server.register('ws-limits');
      const ws = connect(server.url, user.token);
      opened.push({ close: () => ws.client.dispose() });
      await ws.connected;
      return { user, ws };
    }

    interface WsError {
      message: string;
      extensions?: { code?: string };
    }

    /** Subscribes with `query` and waits for its errors (graphql-ws hands the error list to `error`). */
    async function refusedWith(ws: ReturnType<typeof connect>, query: string): Promise<WsError[]> {
      const sub = new Subscription(ws.client, query);
      await expect.poll(() => sub.errors.length, { timeout: 3000 }).toBeGreaterThan(0);
      expect(sub.received).toEqual([]);
      return sub.errors.flat() as WsError[];
    }

    const messages = (errors: WsError[]) => errors.map((e) => e.message).join('\n');

    it('should refuse a subscription over the depth limit with an error naming the limit, and keep the socket', async () => {
      const { user, ws } = await subscriber();
      // No field path of the schema is 11 deep under jobStatusChanged; the limit is checked all the same.
      const deep = `subscription { jobStatusChanged { job { owner { quota { a { b { c { d { e { f { g } } } } } } } } } } }`;
      const errors = await refusedWith(ws, deep);
      expect(messages(errors)).toContain(`Query depth limit of ${QUERY_LIMITS.maxDepth} exceeded`);
      await proveDelivers(server, user, new Subscription<Change>(ws.client, JOB_CHANGES));
      expect(ws.isClosed()).toBe(false);
    });

    it('should refuse a subscription over the alias limit with an error naming the limit', async () => {
      const { ws } = await subscriber();
      const aliases = Array.from({ length: 20 }, (_, i) => `a${i}: id`).join(' ');
      const errors = await refusedWith(ws, `subscription { jobStatusChanged { job { ${aliases} } } }`);
      expect(messages(errors)).toContain(`Aliases limit of ${QUERY_LIMITS.maxAliases} exceeded, found 20`);
    });

    it('should refuse a subscription over the token limit with a parse error', async () => {
      const { ws } = await subscriber();
      const ids = Array.from({ length: 2100 }, () => 'id').join(' ');
      const errors = await refusedWith(ws, `subscription { jobStatusChanged { job { ${ids} } } }`);
      expect(messages(errors)).toMatch(new RegExp(`Document contains more tha[nt] ${QUERY_LIMITS.maxTokens} tokens`));
    });

    it('should refuse a query over the depth limit sent over the socket', async () => {
      const { ws } = await subscriber();
      const ofTypes = 8;
      const deep = `{ __type(name: "Query") { fields { type { ${'ofType { '.repeat(ofTypes)}name${' }'.repeat(ofTypes)} } } } }`;
      const errors = await refusedWith(ws, deep);
      expect(messages(errors)).toContain(`Query depth limit of ${QUERY_LIMITS.maxDepth} exceeded, found 12`);
    });

    it.each([
      { label: 'a syntax error', query: 'subscription { jobStatusChanged { job { id } }', code: 'GRAPHQL_PARSE_FAILED' },
      { label: 'an unknown field', query: 'subscription { jobStatusChanged { nope } }', code: 'GRAPHQL_VALIDATION_FAILED' },
      {
        label: 'a query over the depth limit',
        query: `{ __type(name: "Query") { fields { type { ${'ofType { '.repeat(8)}name${' }'.repeat(8)} } } } }`,
        code: 'GRAPHQL_VALIDATION_FAILED',
      },
    ])('should refuse $label with the same code as HTTP ($code), never as INTERNAL_SERVER_ERROR', async ({ query, code }) => {
      const http = await server.gql(query);
      expect(http.errors?.map((e) => e.extensions?.code)).toEqual([code]);
      const { ws } = await subscriber();
      const errors = await refusedWith(ws, query);
      expect(errors.map((e) => e.extensions?.code)).toEqual([code]);
    });

    it('should answer subscription errors without stack traces or internals', async () => {
      const { ws } = await subscriber();
      const errors = await refusedWith(ws, 'subscription { jobStatusChanged(jobId: "not-a-uuid") { nope } }');
      expect(JSON.stringify(errors)).not.toMatch(/ {4}at |stacktrace|node_modules/);
    });
  });
});
