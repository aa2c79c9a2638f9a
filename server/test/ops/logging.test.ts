/**
 * The server's JSON log lines, captured from a real server: each request's lines carry its
 * request id (the caller's `X-Request-Id` when well-formed, else a new one echoed back), the
 * request's line names the operation and the user, no password or token is ever written,
 * and LOG_LEVEL=warn keeps the info lines out.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOGIN, REGISTER, waitUntil } from '../factories.js';
import { TestServer, type GqlResponse } from '../harness.js';
import { JOB_CHANGES, Subscription, connect } from '../ws-client.js';

/** One parsed log line. */
type LogLine = Record<string, unknown> & { msg?: string; level?: string; requestId?: string };

/** A pino destination that keeps every line it is given, raw and parsed. */
class CapturedLog {
  readonly raw: string[] = [];

  write(line: string): void {
    this.raw.push(line);
  }

  get lines(): LogLine[] {
    return this.raw.map((line) => JSON.parse(line) as LogLine);
  }

  /** The lines written since `mark` (a previous `raw.length`). */
  since(mark: number): LogLine[] {
    return this.lines.slice(mark);
  }
}

/** A test server whose logger writes to a captured log. */
class LoggedServer {
  private constructor(
    readonly server: TestServer,
    readonly log: CapturedLog,
  ) {}

  static async start(env: Record<string, string> = {}): Promise<LoggedServer> {
    const log = new CapturedLog();
    return new LoggedServer(await TestServer.start(env, { logTo: log }), log);
  }

  get url(): string {
    return this.server.url;
  }

  /** Sends one GraphQL operation; returns the response and its X-Request-Id header. */
  async gql<T = Record<string, any>>(
    query: string,
    variables: Record<string, unknown> = {},
    { token, headers = {} }: { token?: string; headers?: Record<string, string> } = {},
  ): Promise<GqlResponse<T> & { requestId: string | null }> {
    const res = await fetch(`${this.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await res.json()) as Omit<GqlResponse<T>, 'status'>;
    return { status: res.status, requestId: res.headers.get('x-request-id'), ...body };
  }

  /**
   * The lines of the request with id `requestId`, once its 'HTTP request' line is written (when
   * the response finished, which the client may see a moment before).
   */
  async linesOf(requestId: string): Promise<LogLine[]> {
    await waitUntil(() => this.log.lines.some((l) => l.msg === 'HTTP request' && l.requestId === requestId), {
      timeoutMs: 5_000,
      intervalMs: 10,
      what: `the HTTP request line of ${requestId}`,
    });
    return this.log.lines.filter((l) => l.requestId === requestId);
  }

  close(): Promise<void> {
    return this.server.close();
  }
}

const ME = 'query Me { me { id } }';

/** Ids this server makes for requests without a usable one. */
const GENERATED_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('the server log', () => {
  let server: LoggedServer;
  let token: string;
  let userId: string;

  beforeAll(async () => {
    server = await LoggedServer.start();
    const res = await server.gql<{ register: { token: string; user: { id: string } } }>(REGISTER, {
      input: { email: `logs-${randomUUID().slice(0, 8)}@example.org`, password: 'a-long-enough-password' },
    });
    expect(res.errors).toBeUndefined();
    token = res.data!.register.token;
    userId = res.data!.register.user.id;
  });
  afterAll(async () => {
    await server?.close();
  });

  it('should write JSON lines with a level, a time and a message', () => {
    const started = server.log.lines.find((l) => l.msg === 'gpuaas started');
    expect(started).toMatchObject({ level: 'info', url: server.url, role: 'api' });
    expect(Date.parse(String(started!.time))).not.toBeNaN();
  });

  it('should carry the caller\'s X-Request-Id on every line of its request', async () => {
    const mark = server.log.raw.length;
    const res = await server.gql(ME, {}, { token, headers: { 'X-Request-Id': 'test-req-0001' } });
    expect(res.errors).toBeUndefined();
    expect(res.requestId).toBe('test-req-0001');

    const lines = await server.linesOf('test-req-0001');
    // Nothing else ran meanwhile: every line written during the request is one of its own.
    expect(server.log.since(mark).every((l) => l.requestId === 'test-req-0001')).toBe(true);
    // One line a request, with its operation.
    expect(lines.map((l) => l.msg)).toEqual(['HTTP request']);
    const http = lines[0]!;
    expect(http).toMatchObject({ level: 'info', method: 'POST', status: 200, userId, operationName: 'Me', operationType: 'query' });
    expect(http.durationMs).toEqual(expect.any(Number));
    expect(http.operationMs).toEqual(expect.any(Number));
  });

  it('should log the path a GraphQL request was sent to, without its query string', async () => {
    const res = await fetch(`${server.url}/graphql?query=${encodeURIComponent(ME)}`, {
      headers: { authorization: `Bearer ${token}`, 'X-Request-Id': 'test-req-path-0005', 'apollo-require-preflight': 'true' },
    });
    expect(res.status).toBe(200);
    const posted = await server.gql(ME, {}, { token, headers: { 'X-Request-Id': 'test-req-path-0006' } });
    expect(posted.errors).toBeUndefined();
    const paths = [];
    for (const id of ['test-req-path-0005', 'test-req-path-0006']) {
      paths.push((await server.linesOf(id)).find((l) => l.msg === 'HTTP request')?.path);
    }
    expect(paths).toEqual(['/graphql', '/graphql']);
  });

  it('should give a request without X-Request-Id a new id, echoed in the response and used in its lines', async () => {
    const res = await server.gql(ME, {}, { token });
    expect(res.requestId).toMatch(GENERATED_ID);
    const lines = await server.linesOf(res.requestId!);
    expect(lines).toEqual([expect.objectContaining({ msg: 'HTTP request', operationName: 'Me' })]);

    const other = await server.gql(ME, {}, { token });
    expect(other.requestId).toMatch(GENERATED_ID);
    expect(other.requestId).not.toBe(res.requestId);
  });

  it.each([
    ['spaces', 'has spaces in it'],
    ['a tab', 'tab\there-0001'],
    ['JSON quotes', 'x","level":"fatal'],
    ['too few characters', 'id-1234'],
    ['too many characters', 'a'.repeat(65)],
  ])('should replace a malformed X-Request-Id with %s', async (_what, given) => {
    const mark = server.log.raw.length;
    const res = await server.gql(ME, {}, { token, headers: { 'X-Request-Id': given } });
    expect(res.requestId).toMatch(GENERATED_ID);
    const lines = await server.linesOf(res.requestId!);
    expect(lines).toEqual([expect.objectContaining({ msg: 'HTTP request', operationName: 'Me' })]);
    expect(server.log.raw.slice(mark).join('')).not.toContain(given);
  });

  it('should log an anonymous operation without a user', async () => {
    const res = await server.gql('{ gpuTypes }', {}, { headers: { 'X-Request-Id': 'test-req-anon-0002' } });
    expect(res.errors).toBeUndefined();
    const lines = await server.linesOf('test-req-anon-0002');
    const operation = lines.find((l) => l.msg === 'HTTP request');
    expect(operation).toMatchObject({ operationName: 'anonymous', operationType: 'query' });
    expect(operation).not.toHaveProperty('userId');
  });

  it('should never write a password or a token, whatever the request', async () => {
    const password = `pw-${randomBytes(12).toString('hex')}`;
    const email = `secret-${randomUUID().slice(0, 8)}@example.org`;
    const mark = server.log.raw.length;

    const registered = await server.gql<{ register: { token: string } }>(REGISTER, { input: { email, password } });
    expect(registered.errors).toBeUndefined();
    const loggedIn = await server.gql<{ login: { token: string } }>(LOGIN, { input: { email, password } });
    expect(loggedIn.errors).toBeUndefined();
    const tokens = [registered.data!.register.token, loggedIn.data!.login.token];

    // Error paths: a failed login with the password, the password inline in an invalid document,
    // a registration refused for its email, and the tokens in headers, a query string and a socket.
    const failed = await server.gql(LOGIN, { input: { email: `nobody-${email}`, password } });
    expect(failed.errors?.[0]?.extensions?.code).toBeDefined();
    const again = await server.gql(REGISTER, { input: { email, password } });
    expect(again.errors).toBeDefined();
    const invalid = await server.gql(`mutation { login(input: { email: "${email}", password: "${password}", bogus: 1 }) { token } }`);
    expect(invalid.errors).toBeDefined();
    for (const t of tokens) {
      expect((await server.gql(ME, {}, { token: t })).errors).toBeUndefined();
      await fetch(`${server.url}/nowhere?token=${t}&password=${password}`);
      await server.gql(ME, {}, { token: `${t}x` });
    }
    const ws = connect(server.url, tokens[1]);
    try {
      await ws.connected;
      const sub = new Subscription(ws.client, JOB_CHANGES);
      // Registered with the server: the token went through the whole subscription path.
      await server.server.untilSubscriptions(1);
      expect(sub.errors).toEqual([]);
    } finally {
      await ws.client.dispose();
    }
    await server.linesOf((await server.gql(ME, {}, { headers: { 'X-Request-Id': 'test-req-last-0003' } })).requestId!);

    const written = server.log.raw.slice(mark);
    // The requests above were logged (the check below is not vacuous)…
    expect(written.length).toBeGreaterThanOrEqual(10);
    expect(written.some((l) => l.includes('"path":"/nowhere"'))).toBe(true);
    // …and not one line holds a secret.
    for (const secret of [password, ...tokens]) {
      expect(written.filter((line) => line.includes(secret))).toEqual([]);
    }
  });
});

describe('the server log at LOG_LEVEL=warn', () => {
  it('should write no info line', async () => {
    const server = await LoggedServer.start({ LOG_LEVEL: 'warn' });
    try {
      const res = await server.gql(ME, {}, { headers: { 'X-Request-Id': 'test-req-warn-0004' } });
      expect(res.requestId).toBe('test-req-warn-0004');
      await fetch(`${server.url}/nowhere`);
      // A would-be 'HTTP request' line is written when its response finished; the server reads a
      // later request on the same kept-alive connection only after that.
      await fetch(`${server.url}/healthz`);
      const levels = server.log.lines.map((l) => l.level);
      expect(levels.filter((level) => !['warn', 'error', 'fatal'].includes(String(level)))).toEqual([]);
      expect(server.log.lines.some((l) => l.msg === 'gpuaas started' || l.msg === 'HTTP request')).toBe(false);
    } finally {
      await server.close();
    }
  });
});
