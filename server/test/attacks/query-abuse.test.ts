/**
 * Abusive GraphQL requests over HTTP: documents too deep, too long or too wide, batches, huge
 * bodies and arguments, introspection, security headers, CORS and CSRF. Every refusal is checked
 * for its exact shape (a 4xx, the code, a message naming the limit), and the server is checked to
 * answer a normal query right after it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUERY_LIMITS } from '../../src/graphql/query-limits.js';
import { CREATE_JOB } from '../factories.js';
import { TestServer, type GqlResponse, type TestUser } from '../harness.js';

const ME = '{ me { id } }';
/** graphql-js's parser message (it reads "more that" in graphql 16). */
const TOKEN_LIMIT = new RegExp(`Document contains more tha[nt] ${QUERY_LIMITS.maxTokens} tokens`);

/** A raw HTTP answer: status, headers and the body parsed as JSON when it is JSON. */
interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
  json: GqlResponse | undefined;
}

async function send(url: string, init: RequestInit): Promise<RawResponse> {
  const res = await fetch(url, init);
  const text = await res.text();
  let json: GqlResponse | undefined;
  try {
    json = { status: res.status, ...(JSON.parse(text) as Omit<GqlResponse, 'status'>) };
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** POSTs a raw JSON body to /graphql. */
function postBody(server: TestServer, body: string, token?: string, headers: Record<string, string> = {}): Promise<RawResponse> {
  return send(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    body,
  });
}

/** `{a{a{…}}}` nested `depth` times. */
function nested(depth: number): string {
  return `${'{a'.repeat(depth)}${'}'.repeat(depth)}`;
}

/**
 * A valid query of the given depth that the schema allows at any depth: introspection's
 * `__type { fields { type { ofType { ofType … } } } }` (only `__schema` is exempt from the depth
 * limit, `__type` is not).
 */
function deepTypeQuery(depth: number): string {
  // __type (1) fields (2) type (3) then ofType… and a final `name`.
  const ofTypes = depth - 4;
  return `{ __type(name: "Query") { fields { type { ${'ofType { '.repeat(ofTypes)}name${' }'.repeat(ofTypes)} } } } }`;
}

function expectRefused(res: GqlResponse, code: string, message: RegExp): void {
  expect(res.status).toBeGreaterThanOrEqual(400);
  expect(res.status).toBeLessThan(500);
  expect(res.data ?? null).toBeNull();
  expect(res.errors?.length).toBeGreaterThan(0);
  expect(res.errors!.map((e) => e.extensions?.code)).toContain(code);
  expect(res.errors!.map((e) => e.message).join('\n')).toMatch(message);
}

describe('query abuse against the default configuration', () => {
  let server: TestServer;
  let user: TestUser;

  beforeAll(async () => {
    server = await TestServer.start();
    user = await server.register('abuse');
  });
  afterAll(async () => {
    await server?.close();
  });

  /** The server still answers a normal query correctly. */
  async function expectStillServing(): Promise<void> {
    const res = await server.gql<{ me: { id: string } }>(ME, {}, user.token);
    expect(res.status).toBe(200);
    expect(res.errors).toBeUndefined();
    expect(res.data?.me.id).toBe(user.id);
  }

  it('should refuse a 10,000-deep nested query at the parser token limit, then answer me', async () => {
    const res = await postBody(server, JSON.stringify({ query: nested(10_000) }), user.token);
    expectRefused(res.json!, 'GRAPHQL_PARSE_FAILED', TOKEN_LIMIT);
    await expectStillServing();
  });

  it('should refuse 5,000 aliases of me at the parser token limit, then answer me', async () => {
    const aliases = Array.from({ length: 5000 }, (_, i) => `a${i}: me { id }`).join(' ');
    const res = await postBody(server, JSON.stringify({ query: `{ ${aliases} }` }), user.token);
    expectRefused(res.json!, 'GRAPHQL_PARSE_FAILED', TOKEN_LIMIT);
    await expectStillServing();
  });

  it('should refuse 20 aliases (under the token limit) naming the alias limit, then answer me', async () => {
    const aliases = Array.from({ length: 20 }, (_, i) => `a${i}: me { id }`).join(' ');
    const res = await server.gql(`{ ${aliases} }`, {}, user.token);
    expectRefused(res, 'GRAPHQL_VALIDATION_FAILED', new RegExp(`Aliases limit of ${QUERY_LIMITS.maxAliases} exceeded, found 20`));
    await expectStillServing();
  });

  it('should accept 15 aliases, the alias limit', async () => {
    const aliases = Array.from({ length: QUERY_LIMITS.maxAliases }, (_, i) => `a${i}: me { id }`).join(' ');
    const res = await server.gql<Record<string, { id: string }>>(`{ ${aliases} }`, {}, user.token);
    expect(res.errors).toBeUndefined();
    expect(res.data?.a14?.id).toBe(user.id);
  });

  it('should refuse 100 directives naming the directive limit, then answer me', async () => {
    const fields = Array.from({ length: 100 }, () => 'id @include(if: true)').join(' ');
    const res = await server.gql(`{ me { ${fields} } }`, {}, user.token);
    expectRefused(res, 'GRAPHQL_VALIDATION_FAILED', new RegExp(`Directives limit of ${QUERY_LIMITS.maxDirectives} exceeded, found 100`));
    await expectStillServing();
  });

  it('should refuse a valid query of depth 12 (under the token limit) naming the depth limit, then answer me', async () => {
    const res = await server.gql(deepTypeQuery(12), {}, user.token);
    expectRefused(res, 'GRAPHQL_VALIDATION_FAILED', new RegExp(`Query depth limit of ${QUERY_LIMITS.maxDepth} exceeded, found 12`));
    await expectStillServing();
  });

  it('should count the depth through fragments too', async () => {
    const query = `query { ...A }
      fragment A on Query { __type(name: "Query") { ...B } }
      fragment B on __Type { fields { type { ofType { ofType { ofType { ...C } } } } } }
      fragment C on __Type { ofType { ofType { ofType { ofType { name } } } } }`;
    const res = await server.gql(query, {}, user.token);
    expectRefused(res, 'GRAPHQL_VALIDATION_FAILED', new RegExp(`Query depth limit of ${QUERY_LIMITS.maxDepth} exceeded`));
    await expectStillServing();
  });

  it('should answer a query of depth 10, the depth limit', async () => {
    const res = await server.gql<{ __type: unknown }>(deepTypeQuery(QUERY_LIMITS.maxDepth), {}, user.token);
    expect(res.errors).toBeUndefined();
    expect(res.data?.__type).toBeTruthy();
  });

  it('should refuse a deeply nested introspection of __schema (exempt from the depth limit) by graphql-js\'s introspection depth rule', async () => {
    const query = '{ __schema { types { fields { type { fields { type { fields { type { fields { name } } } } } } } } } }';
    const res = await server.gql(query, {}, user.token);
    expectRefused(res, 'GRAPHQL_VALIDATION_FAILED', /introspection depth/i);
    await expectStillServing();
  });

  it('should refuse a batch of 1,000 operations in one JSON array, then answer me', async () => {
    const batch = Array.from({ length: 1000 }, () => ({ query: ME }));
    const res = await postBody(server, JSON.stringify(batch), user.token);
    expect(res.status).toBe(400);
    expect(res.json?.errors).toEqual([{ message: 'Operation batching disabled.', extensions: { code: 'BAD_REQUEST' } }]);
    expect(res.text).not.toContain(user.id);
    await expectStillServing();
  });

  it('should refuse a 10 MB body with 413 and a GraphQL-shaped BAD_REQUEST error, then answer me', async () => {
    const body = JSON.stringify({ query: ME, variables: { padding: 'x'.repeat(10 * 1024 * 1024) } });
    const res = await postBody(server, body, user.token);
    expect(res.status).toBe(413);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    expect(res.json?.errors).toEqual([{ message: 'The request body is too large', extensions: { code: 'BAD_REQUEST' } }]);
    expectSecurityHeaders(res.headers);
    await expectStillServing();
  });

  it('should refuse a body that is not JSON with 400 and a GraphQL-shaped BAD_REQUEST error', async () => {
    const res = await postBody(server, '{"query": "{ me { id } }"', user.token);
    expect(res.status).toBe(400);
    expect(res.json?.errors).toEqual([{ message: 'The request body is not valid JSON', extensions: { code: 'BAD_REQUEST' } }]);
    await expectStillServing();
  });

  it('should refuse a createJob with a 1 MB name by the body limit (413), writing no job', async () => {
    const body = JSON.stringify({ query: CREATE_JOB, variables: { input: { name: 'n'.repeat(1024 * 1024), gpuCount: 1, hours: 1 } } });
    const res = await postBody(server, body, user.token);
    expect(res.status).toBe(413);
    expect(res.json?.errors?.[0]?.extensions?.code).toBe('BAD_REQUEST');
    const { rows } = await server.db.query<{ n: number }>('select count(*)::int as n from jobs where owner_id = $1', [user.id]);
    expect(rows[0]!.n).toBe(0);
    await expectStillServing();
  });

  it('should refuse a createJob with a 90 KB name (under the body limit) as BAD_USER_INPUT on field name', async () => {
    const res = await server.gql(CREATE_JOB, { input: { name: 'n'.repeat(90 * 1024), gpuCount: 1, hours: 1 } }, user.token);
    expect(res.status).toBe(200);
    expect(res.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'name' });
    expect(res.errors?.[0]?.message).toMatch(/^name: must be 1 to 120 characters long$/);
    const { rows } = await server.db.query<{ n: number }>('select count(*)::int as n from jobs where owner_id = $1', [user.id]);
    expect(rows[0]!.n).toBe(0);
    await expectStillServing();
  });

  it('should refuse jobs(first: 1000000) given as a variable as BAD_USER_INPUT on field first', async () => {
    const res = await server.gql('query ($first: Int!) { jobs(first: $first) { totalCount } }', { first: 1_000_000 }, user.token);
    expect(res.status).toBe(200);
    expect(res.data ?? null).toBeNull();
    expect(res.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'first' });
    expect(res.errors?.[0]?.message).toBe('first: must be an integer from 1 to 100');
    await expectStillServing();
  });

  it('should refuse jobs(first: 1000000) written in the query by the cost limit before running it', async () => {
    const res = await server.gql('{ jobs(first: 1000000) { totalCount } }', {}, user.token);
    expectRefused(res, 'GRAPHQL_VALIDATION_FAILED', new RegExp(`Cost limit of ${QUERY_LIMITS.maxCost} exceeded`));
    await expectStillServing();
  });

  it('should refuse users(first: 1000000) as BAD_USER_INPUT on field first for an admin too', async () => {
    const admin = await server.loginAdmin();
    const res = await server.gql('query ($first: Int!) { users(first: $first) { totalCount } }', { first: 1_000_000 }, admin.token);
    expect(res.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'first' });
    await expectStillServing();
  });

  it('should serve introspection by default', async () => {
    const res = await server.gql<{ __schema: { queryType: { name: string } } }>('{ __schema { queryType { name } } }');
    expect(res.errors).toBeUndefined();
    expect(res.data?.__schema.queryType.name).toBe('Query');
  });

  it('should serve GraphiQL to a browser on GET /graphql by default', async () => {
    const res = await send(`${server.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    expect(res.text).toMatch(/GraphiQL/);
  });

  it('should send the security headers on GET /healthz', async () => {
    const res = await fetch(`${server.url}/healthz`);
    expectSecurityHeaders(res.headers);
  });

  it('should send the security headers on POST /graphql, refusals included', async () => {
    const ok = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${user.token}` },
      body: JSON.stringify({ query: ME }),
    });
    expect(ok.status).toBe(200);
    expectSecurityHeaders(ok.headers);
    const refused = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: nested(5000) }),
    });
    expect(refused.status).toBe(400);
    expectSecurityHeaders(refused.headers);
  });

  it('should send the security headers on the GraphiQL page', async () => {
    const res = await fetch(`${server.url}/graphql`, { headers: { accept: 'text/html' } });
    expectSecurityHeaders(res.headers);
  });

  it('should not allow another origin by CORS: no Access-Control-Allow-Origin on a preflight or a POST', async () => {
    const preflight = await fetch(`${server.url}/graphql`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://evil.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type',
      },
    });
    expect(preflight.status).toBeLessThan(500);
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    expect(preflight.headers.get('access-control-allow-headers')).toBeNull();
    expect(preflight.headers.get('access-control-allow-credentials')).toBeNull();

    const post = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { origin: 'https://evil.example', 'content-type': 'application/json', authorization: `Bearer ${user.token}` },
      body: JSON.stringify({ query: ME }),
    });
    expect(post.headers.get('access-control-allow-origin')).toBeNull();
    expect(post.headers.get('access-control-allow-credentials')).toBeNull();
  });

  it('should refuse a text/plain POST (a CORS "simple" request) by CSRF prevention with 400, running nothing', async () => {
    const res = await send(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', authorization: `Bearer ${user.token}` },
      body: JSON.stringify({ query: CREATE_JOB, variables: { input: { name: 'csrf', gpuCount: 1, hours: 1 } } }),
    });
    expect(res.status).toBe(400);
    expect(res.text).toMatch(/Cross-Site Request Forgery|CSRF/);
    const { rows } = await server.db.query<{ n: number }>("select count(*)::int as n from jobs where name = 'csrf'");
    expect(rows[0]!.n).toBe(0);
    await expectStillServing();
  });

  it('should refuse a GraphQL GET without a preflight-forcing header by CSRF prevention with 400', async () => {
    const res = await send(`${server.url}/graphql?query=${encodeURIComponent(ME)}`, {
      headers: { accept: 'application/json', authorization: `Bearer ${user.token}` },
    });
    expect(res.status).toBe(400);
    expect(res.text).toMatch(/Cross-Site Request Forgery|CSRF/);
    expect(res.text).not.toContain(user.id);
  });
});

function expectSecurityHeaders(headers: Headers): void {
  const csp = headers.get('content-security-policy') ?? '';
  expect(csp).toContain("default-src 'self'");
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).not.toMatch(/script-src[^;]*'unsafe-(inline|eval)'/);
  expect(headers.get('x-content-type-options')).toBe('nosniff');
  expect(headers.get('referrer-policy')).toBe('no-referrer');
  expect(headers.get('x-frame-options')).toBe('DENY');
  expect(headers.get('x-powered-by')).toBeNull();
}

describe('with GRAPHQL_INTROSPECTION=false', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await TestServer.start({ GRAPHQL_INTROSPECTION: 'false' });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('should refuse introspection of __schema and __type with GRAPHQL_VALIDATION_FAILED', async () => {
    for (const query of ['{ __schema { queryType { name } } }', '{ __type(name: "Job") { fields { name } } }']) {
      const res = await server.gql(query);
      expectRefused(res, 'GRAPHQL_VALIDATION_FAILED', /introspection is not allowed/i);
    }
  });

  it('should not suggest field names in validation errors (no schema leak by "Did you mean")', async () => {
    const res = await server.gql('{ gpuType }');
    expect(res.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(res.errors?.[0]?.message).not.toMatch(/did you mean/i);
    expect(res.errors?.[0]?.message).not.toContain('gpuTypes');
  });

  it('should still answer ordinary queries', async () => {
    const res = await server.gql<{ gpuTypes: string[] }>('{ gpuTypes }');
    expect(res.errors).toBeUndefined();
    expect(res.data?.gpuTypes.length).toBeGreaterThan(0);
  });

  it('should serve no GraphiQL page to a browser on GET /graphql', async () => {
    const res = await send(`${server.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(res.headers.get('content-type') ?? '').not.toMatch(/text\/html/);
    expect(res.text).not.toMatch(/graphiql/i);
    expect(res.status).toBeLessThan(500);
  });

  it('should serve no GraphiQL assets', async () => {
    const res = await fetch(`${server.url}/graphiql/graphiql.js`);
    expect(res.status).toBe(404);
    await res.arrayBuffer();
  });
});

describe('with CORS_ORIGINS=https://portal.example', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await TestServer.start({ CORS_ORIGINS: 'https://portal.example' });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('should answer the listed origin\'s preflight and POST with Access-Control-Allow-Origin, without credentials', async () => {
    const preflight = await fetch(`${server.url}/graphql`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://portal.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://portal.example');
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/authorization/i);
    expect(preflight.headers.get('access-control-allow-credentials')).toBeNull();
    expect(preflight.headers.get('vary')).toMatch(/origin/i);

    const post = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { origin: 'https://portal.example', 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ gpuTypes }' }),
    });
    expect(post.status).toBe(200);
    expect(post.headers.get('access-control-allow-origin')).toBe('https://portal.example');
    await post.json();
  });

  it('should still refuse other origins, including look-alikes of the listed one', async () => {
    for (const origin of ['https://evil.example', 'https://portal.example.evil.example', 'http://portal.example', 'null']) {
      const res = await fetch(`${server.url}/graphql`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST' },
      });
      expect(res.headers.get('access-control-allow-origin'), origin).toBeNull();
      await res.arrayBuffer();
    }
  });
});
