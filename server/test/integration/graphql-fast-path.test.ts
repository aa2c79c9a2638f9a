/**
 * The fast path of POST /graphql answers exactly as Apollo's pipeline does: the same request to
 * two API processes on one database, one with GRAPHQL_FAST_PATH=false, gets the same status,
 * content type, Retry-After and body, byte for byte, for answers with data, with errors, with
 * both, and for everything the fast path hands to Apollo. `/metrics` says which path answered.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type App } from '../../src/app.js';
import { createLogger } from '../../src/logger.js';
import { CREATE_JOB, JOB, VALID_JOB, createJob } from '../factories.js';
import { TestServer, type TestUser } from '../harness.js';

interface Answer {
  status: number;
  contentType: string | null;
  retryAfter: string | null;
  body: string;
}

async function post(baseUrl: string, body: unknown, token?: string, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await fetch(`${baseUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, contentType: res.headers.get('content-type'), retryAfter: res.headers.get('retry-after'), body: await res.text() };
}

/** `gpuaas_graphql_http_requests_total` by path, from a process's `/metrics`. */
async function requestsByPath(baseUrl: string): Promise<{ fast: number; apollo: number }> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  const count = (path: string) => Number(new RegExp(`^gpuaas_graphql_http_requests_total\\{path="${path}"\\} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
  return { fast: count('fast'), apollo: count('apollo') };
}

describe('the GraphQL fast path', () => {
  let server: TestServer;
  let apolloOnly: App;
  let admin: TestUser;
  let user: TestUser;
  let jobId: string;

  beforeAll(async () => {
    ({ server, admin } = await TestServer.startWithAdmin());
    apolloOnly = await startApp(
      { ...server.config, graphqlFastPath: false },
      { databaseUrl: server.databaseUrl, log: createLogger('silent'), host: '127.0.0.1', role: 'api' },
    );
    user = await server.register('fast');
    const created = await createJob(server, user, { name: 'fast path job' });
    jobId = created.data!.createJob.id;
  });
  afterAll(async () => {
    await apolloOnly?.close();
    await server?.close();
  });

  /** Sends `body` to both processes and expects the same answer; returns the fast process's. */
  async function sameAnswer(body: unknown, token?: string, headers: Record<string, string> = {}): Promise<Answer> {
    // Twice to each: the first request of a document may be the one that validates it.
    await post(server.url, body, token, headers);
    const fast = await post(server.url, body, token, headers);
    await post(apolloOnly.url, body, token, headers);
    const apollo = await post(apolloOnly.url, body, token, headers);
    expect(fast).toEqual(apollo);
    return fast;
  }

  it('should answer a query with its data as Apollo does, on the fast path', async () => {
    const before = await requestsByPath(server.url);
    const answer = await sameAnswer({ query: `query Job($id: ID!) { job(id: $id) { id name owner { id email } } }`, variables: { id: jobId } }, user.token);
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ data: { job: { id: jobId, name: 'fast path job', owner: { id: user.id, email: user.email } } } });
    const after = await requestsByPath(server.url);
    expect(after.fast - before.fast).toBe(2);
    expect(after.apollo - before.apollo).toBe(0);
    expect((await requestsByPath(apolloOnly.url)).fast).toBe(0);
  });

  it('should give application errors their codes, with partial data, as Apollo does', async () => {
    const missing = await sameAnswer({ query: JOB, variables: { id: '00000000-0000-4000-8000-000000000000' } }, user.token);
    expect(JSON.parse(missing.body).errors[0].extensions.code).toBe('NOT_FOUND');
    // `job` is non-null: its error nulls the whole answer, as graphql-js's rules say.
    const nulled = await sameAnswer({ query: `{ me { id } job(id: "00000000-0000-4000-8000-000000000000") { id } }` }, user.token);
    expect(JSON.parse(nulled.body)).toMatchObject({ data: null, errors: [{ path: ['job'], extensions: { code: 'NOT_FOUND' } }] });
    const forbidden = await sameAnswer({ query: `{ users(first: 1) { totalCount } }` }, user.token);
    expect(JSON.parse(forbidden.body).errors[0].extensions.code).toBe('FORBIDDEN');
    const anonymous = await sameAnswer({ query: `{ jobs(first: 1) { totalCount } }` });
    expect(JSON.parse(anonymous.body).errors[0].extensions.code).toBe('UNAUTHENTICATED');
    const badToken = await sameAnswer({ query: `{ me { id } }` }, 'not.a.token');
    expect(JSON.parse(badToken.body).errors[0].extensions.code).toBe('UNAUTHENTICATED');
  });

  it('should refuse a mutation with bad input as Apollo does, writing nothing', async () => {
    const before = await server.db.query('select count(*)::int as n from jobs');
    const answer = await sameAnswer({ query: CREATE_JOB, variables: { input: { ...VALID_JOB, gpuCount: 0 } } }, user.token);
    expect(JSON.parse(answer.body).errors[0].extensions.code).toBe('BAD_USER_INPUT');
    const after = await server.db.query('select count(*)::int as n from jobs');
    expect(after.rows[0].n).toBe(before.rows[0].n);
  });

  it('should negotiate the content type as Apollo does', async () => {
    const body = { query: '{ me { id } }' };
    const graphqlResponse = await sameAnswer(body, user.token, { accept: 'application/graphql-response+json' });
    expect(graphqlResponse.contentType).toBe('application/graphql-response+json; charset=utf-8');
    const preferred = await sameAnswer(body, user.token, { accept: 'application/graphql-response+json, application/json;q=0.9' });
    expect(preferred.contentType).toBe('application/graphql-response+json; charset=utf-8');
    const json = await sameAnswer(body, user.token, { accept: '*/*' });
    expect(json.contentType).toBe('application/json; charset=utf-8');
    const refused = await sameAnswer(body, user.token, { accept: 'text/html' });
    expect(refused.status).toBe(406);
  });

  it('should leave to Apollo what it does not answer, with the same answers', async () => {
    const before = await requestsByPath(server.url);
    const cases: unknown[] = [
      { query: JOB, variables: { id: { not: 'an id' } } },
      { query: JOB },
      { query: '{ me { nope } }' },
      { query: '{ me { id ' },
      { query: 'query A { me { id } } query B { me { email } }' },
      { query: 'query A { me { id } } query B { me { email } }', operationName: 'C' },
      { query: '{ me { id } }', extensions: { persistedQuery: { version: 1, sha256Hash: 'abc' } } },
      { query: '{ me { id } }', variables: 'not an object' },
      { query: '' },
      { variables: {} },
      [{ query: '{ me { id } }' }],
    ];
    for (const body of cases) {
      const answer = await sameAnswer(body, user.token);
      expect(answer.status, JSON.stringify(body)).toBeGreaterThanOrEqual(400);
    }
    // Subscriptions are served over WebSocket only; over HTTP Apollo's answer is an error.
    const subscription = await sameAnswer({ query: 'subscription { jobStatusChanged { status } }' }, user.token);
    expect(JSON.parse(subscription.body).data).toBeNull();
    const after = await requestsByPath(server.url);
    expect(after.fast - before.fast).toBe(0);
    expect(after.apollo - before.apollo).toBe(2 * cases.length + 2);
  });

  it('should pick the named operation of a document of several, as Apollo does', async () => {
    const answer = await sameAnswer({ query: 'query A { me { id } } query B { me { email } }', operationName: 'B' }, user.token);
    expect(JSON.parse(answer.body)).toEqual({ data: { me: { email: user.email } } });
  });

  it('should refuse introspection on the fast path when it is disabled, as Apollo does', async () => {
    const closed = await TestServer.start({ GRAPHQL_INTROSPECTION: 'false' });
    try {
      for (let i = 0; i < 2; i++) {
        const res = await post(closed.url, { query: '{ __schema { types { name } } }' });
        expect(res.status).toBe(400);
        expect(JSON.parse(res.body).errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
        expect(res.body).not.toContain('"types"');
      }
    } finally {
      await closed.close();
    }
  });

  it('should log each request once with its operation, as on Apollo\'s path', async () => {
    const lines: Record<string, unknown>[] = [];
    const logged = await TestServer.start({}, { logTo: { write: (line) => lines.push(JSON.parse(line) as Record<string, unknown>) } });
    try {
      const me = await logged.register('logged');
      for (let i = 0; i < 2; i++) await post(logged.url, { query: 'query Who { me { id } }' }, me.token, { 'x-request-id': `fast-path-${i}-request` });
      await new Promise((resolve) => setTimeout(resolve, 400));
      const requestLines = lines.filter((l) => l.msg === 'HTTP request' && String(l.requestId).startsWith('fast-path-'));
      expect(requestLines).toHaveLength(2);
      for (const line of requestLines) {
        expect(line).toMatchObject({ method: 'POST', path: '/graphql', status: 200, userId: me.id, operationName: 'Who', operationType: 'query' });
      }
    } finally {
      await logged.close();
    }
  });

  it('should send an admin\'s mutation through the fast path with its effects', async () => {
    const before = await requestsByPath(server.url);
    const approve = `mutation Approve($id: ID!) { approveJob(id: $id) { id status } }`;
    const answer = await post(server.url, { query: approve, variables: { id: jobId } }, admin.token);
    expect(JSON.parse(answer.body)).toEqual({ data: { approveJob: { id: jobId, status: 'APPROVED' } } });
    const again = await post(apolloOnly.url, { query: approve, variables: { id: jobId } }, admin.token);
    const fastAgain = await post(server.url, { query: approve, variables: { id: jobId } }, admin.token);
    expect(fastAgain).toEqual(again);
    expect(JSON.parse(again.body).errors[0].extensions.code).toBeDefined();
    expect((await requestsByPath(server.url)).fast - before.fast).toBe(2);
  });
});
