/**
 * Accounts and authorisation over HTTP: registration, login, bearer tokens (valid, forged,
 * expired, revoked) and who may call what (the README's "The API", its accounts and errors).
 */
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADMIN_EMAIL,
  ADMIN_PASSWORD,
  TEST_PASSWORD,
  TestServer,
  errorCode,
  type TestUser,
} from '../harness.js';
import { CREATE_JOB, VALID_JOB, countOf, freshEmail, submitJob } from '../factories.js';
import { hygienicGql } from '../hygiene.js';

const REGISTER = `mutation ($input: RegisterInput!) {
  register(input: $input) { token user { id email role createdAt quota { month limitGpuHours usedGpuHours remainingGpuHours } } }
}`;
const LOGIN = 'mutation ($input: LoginInput!) { login(input: $input) { token user { id email role } } }';
const ME = '{ me { id email role } }';
const USERS = '{ users(first: 1) { totalCount } }';

let server: TestServer;

beforeAll(async () => {
  server = await TestServer.start();
});
afterAll(async () => {
  await server?.close();
});

const gql = hygienicGql(() => server);
const countUsers = () => countOf(server.db, 'select count(*)::int as n from users');

function register(email: string, password: string = TEST_PASSWORD) {
  return gql(REGISTER, { input: { email, password } });
}

function login(email: string, password: string) {
  return gql(LOGIN, { input: { email, password } });
}

/** Expects a refused registration naming `field`, and that no row was written. */
async function expectRegisterRefused(email: string, password: string, field: 'email' | 'password'): Promise<void> {
  const before = await countUsers();
  const res = await register(email, password);
  expect(errorCode(res)).toBe('BAD_USER_INPUT');
  expect(res.errors?.[0]?.extensions?.field).toBe(field);
  expect(res.errors?.[0]?.message).toMatch(new RegExp(`^${field}: `));
  expect(res.data).toBeNull();
  expect(await countUsers()).toBe(before);
}

/** The key the server signs tokens with: generated at first start and kept in `settings`. */
async function jwtKey(): Promise<Uint8Array> {
  const { rows } = await server.db.query<{ value: string }>("select value from settings where key = 'jwt_secret'");
  return new TextEncoder().encode(rows[0]!.value);
}

/** Signs a token as the server would, with any claims and expiry, under `key` and `alg`. */
async function signToken(
  key: Uint8Array,
  claims: { sub: string; role?: string; ver?: number; iss?: string; exp: number },
  alg = 'HS256',
): Promise<string> {
  const payload: Record<string, unknown> = {};
  if (claims.role !== undefined) payload.role = claims.role;
  if (claims.ver !== undefined) payload.ver = claims.ver;
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT(payload)
    .setProtectedHeader({ alg, typ: 'JWT' })
    .setSubject(claims.sub)
    .setIssuer(claims.iss ?? 'gpuaas')
    .setIssuedAt(Math.min(now, claims.exp - 60))
    .setExpirationTime(claims.exp)
    .sign(key);
}

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;

/** Expects `token` to be refused as if no token had been sent. */
async function expectRefusedToken(token: string): Promise<void> {
  const res = await gql(ME, {}, token);
  expect(errorCode(res)).toBe('UNAUTHENTICATED');
  expect(res.status).toBe(200);
  expect(res.data).toBeNull();
  // An admin-only operation must not answer FORBIDDEN (which would mean the token was accepted).
  expect(errorCode(await gql(USERS, {}, token))).toBe('UNAUTHENTICATED');
}

describe('register', () => {
  it('should return a token and the new user with role USER and a fresh quota', async () => {
    const email = freshEmail();
    const res = await register(email);
    expect(res.errors).toBeUndefined();
    const { token, user } = res.data!.register;
    expect(typeof token).toBe('string');
    expect(user).toMatchObject({
      email,
      role: 'USER',
      quota: { month: new Date().toISOString().slice(0, 7), limitGpuHours: 100, usedGpuHours: 0, remainingGpuHours: 100 },
    });
    expect(user.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(Date.parse(user.createdAt)).not.toBeNaN();

    const me = await gql(ME, {}, token);
    expect(me.data?.me).toEqual({ id: user.id, email, role: 'USER' });
  });

  it('should store a bcrypt hash of the password, never the password itself', async () => {
    const email = freshEmail();
    const { data } = await register(email);
    const { rows } = await server.db.query<{ password_hash: string }>('select password_hash from users where id = $1', [
      data!.register.user.id,
    ]);
    expect(rows[0]!.password_hash).toMatch(/^\$2[aby]\$10\$/);
    expect(rows[0]!.password_hash).not.toContain(TEST_PASSWORD);
  });

  it('should store the email lower-cased and trimmed', async () => {
    const local = `Mixed-${randomUUID().slice(0, 8)}`;
    const res = await register(`  ${local}@Example.ORG `);
    expect(res.data?.register.user.email).toBe(`${local.toLowerCase()}@example.org`);
  });

  it('should refuse an email that differs from a registered one only in case, naming the email field', async () => {
    const local = `a-${randomUUID().slice(0, 8)}`;
    expect((await register(`${local.toUpperCase()}@x.org`)).errors).toBeUndefined();
    await expectRegisterRefused(`${local}@X.org`, TEST_PASSWORD, 'email');
    await expectRegisterRefused(` ${local}@x.ORG `, TEST_PASSWORD, 'email');
  });

  it('should answer one success and one BAD_USER_INPUT to two simultaneous registrations of one email', async () => {
    const email = freshEmail('race');
    const results = await Promise.all([register(email), register(email.toUpperCase())]);
    expect(results.map((r) => (r.errors ? errorCode(r) : 'OK')).sort()).toEqual(['BAD_USER_INPUT', 'OK']);
    const { rows } = await server.db.query('select 1 from users where email = $1', [email]);
    expect(rows).toHaveLength(1);
  });

  it.each([
    'not-an-email',
    'ada@example',
    '@example.org',
    'ada@',
    'ada@@example.org',
    'ada lovelace@example.org',
    'ada@example.o',
    '<ada@example.org>',
    '',
    `${'a'.repeat(250)}@example.org`,
  ])('should refuse the malformed email %j, naming the email field and writing nothing', async (email) => {
    await expectRegisterRefused(email, TEST_PASSWORD, 'email');
  });

  it('should refuse a password shorter than 10 characters, naming the password field and writing nothing', async () => {
    await expectRegisterRefused(freshEmail(), '123456789', 'password');
  });

  it('should accept a password of exactly 10 characters', async () => {
    const res = await register(freshEmail(), 'k9v-Tq2#mz');
    expect(res.errors).toBeUndefined();
    expect(res.data?.register.user.role).toBe('USER');
  });

  it('should refuse a password longer than bcrypt reads (72 bytes), writing nothing', async () => {
    await expectRegisterRefused(freshEmail(), 'é'.repeat(37), 'password');
  });

  it('should refuse a password equal to the email, in any case, writing nothing', async () => {
    const email = freshEmail('same');
    await expectRegisterRefused(email, email, 'password');
    await expectRegisterRefused(email, email.toUpperCase(), 'password');
  });

  it('should not echo a refused password in the error message', async () => {
    const res = await register(freshEmail(), 'secret-9c');
    expect(errorCode(res)).toBe('BAD_USER_INPUT');
    expect(JSON.stringify(res.errors)).not.toContain('secret-9c');
  });
});

describe('login', () => {
  it('should sign in with the right password and return a working token', async () => {
    const user = await server.register('login');
    const res = await login(user.email, TEST_PASSWORD);
    expect(res.errors).toBeUndefined();
    expect(res.data?.login.user).toEqual({ id: user.id, email: user.email, role: 'USER' });
    const me = await gql(ME, {}, res.data!.login.token);
    expect(me.data?.me.id).toBe(user.id);
  });

  it('should give a wrong password and an unknown email the same UNAUTHENTICATED answer', async () => {
    const user = await server.register('login');
    const wrongPassword = await login(user.email, `${TEST_PASSWORD}-not`);
    const unknownEmail = await login(freshEmail('nobody'), TEST_PASSWORD);
    for (const res of [wrongPassword, unknownEmail]) {
      expect(errorCode(res)).toBe('UNAUTHENTICATED');
      expect(res.data).toBeNull();
    }
    expect(wrongPassword.errors?.[0]?.message).toBe(unknownEmail.errors?.[0]?.message);
    expect(wrongPassword.errors?.[0]?.extensions).toEqual(unknownEmail.errors?.[0]?.extensions);
  });

  it('should refuse an empty password with the same answer', async () => {
    const user = await server.register('login');
    const res = await login(user.email, '');
    expect(errorCode(res)).toBe('UNAUTHENTICATED');
    expect(res.errors?.[0]?.message).toBe('Invalid email or password');
  });

  it('should ignore the case of the email and surrounding spaces', async () => {
    const user = await server.register('login');
    const res = await login(`  ${user.email.toUpperCase()} `, TEST_PASSWORD);
    expect(res.data?.login.user.id).toBe(user.id);
  });

  it('should let the first admin from ADMIN_EMAIL/ADMIN_PASSWORD sign in as ADMIN', async () => {
    const res = await login(ADMIN_EMAIL, ADMIN_PASSWORD);
    expect(res.data?.login.user).toMatchObject({ email: ADMIN_EMAIL, role: 'ADMIN' });
    const admin = await server.loginAdmin();
    const me = await gql(ME, {}, admin.token);
    expect(me.data?.me).toEqual({ id: admin.id, email: ADMIN_EMAIL, role: 'ADMIN' });
    expect((await gql(USERS, {}, admin.token)).errors).toBeUndefined();
    const { rows } = await server.db.query('select role from users where email = $1', [ADMIN_EMAIL]);
    expect(rows).toEqual([{ role: 'ADMIN' }]);
  });
});

describe('tokens', () => {
  it('should answer me for a valid token', async () => {
    const user = await server.register('token');
    const res = await gql(ME, {}, user.token);
    expect(res.data?.me).toEqual({ id: user.id, email: user.email, role: 'USER' });
  });

  it('should accept the bearer scheme in any case', async () => {
    const user = await server.register('token');
    const res = await gql(ME, {}, undefined, { authorization: `bearer ${user.token}` });
    expect(res.data?.me.id).toBe(user.id);
  });

  it('should answer me without a token with UNAUTHENTICATED', async () => {
    const res = await gql(ME);
    expect(errorCode(res)).toBe('UNAUTHENTICATED');
    expect(res.data).toBeNull();
  });

  it('should refuse an Authorization header that is not a bearer token', async () => {
    const user = await server.register('token');
    const res = await gql(ME, {}, undefined, { authorization: `Basic ${user.token}` });
    expect(errorCode(res)).toBe('UNAUTHENTICATED');
  });

  it('should accept a token signed here with the server key (so the forgeries below are meaningful)', async () => {
    const user = await server.register('token');
    const token = await signToken(await jwtKey(), { sub: user.id, role: 'USER', ver: 0, exp: inAnHour() });
    expect((await gql(ME, {}, token)).data?.me.id).toBe(user.id);
  });

  it('should refuse a token with one character of its payload changed', async () => {
    const user = await server.register('token');
    const [header, payload, signature] = user.token.split('.') as [string, string, string];
    const i = Math.floor(payload.length / 2);
    const changed = payload.slice(0, i) + (payload[i] === 'A' ? 'B' : 'A') + payload.slice(i + 1);
    await expectRefusedToken(`${header}.${changed}.${signature}`);
  });

  it('should refuse a token whose payload was re-encoded with role ADMIN under the old signature', async () => {
    const user = await server.register('token');
    const [header, payload, signature] = user.token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
    expect(claims.role).toBe('USER');
    await expectRefusedToken(`${header}.${base64url({ ...claims, role: 'ADMIN' })}.${signature}`);
  });

  it('should refuse an expired token', async () => {
    const user = await server.register('token');
    const past = Math.floor(Date.now() / 1000) - 3600;
    await expectRefusedToken(await signToken(await jwtKey(), { sub: user.id, role: 'USER', ver: 0, exp: past }));
  });

  it('should refuse an unsigned token (alg none)', async () => {
    const user = await server.register('token');
    const now = Math.floor(Date.now() / 1000);
    const claims = { sub: user.id, role: 'ADMIN', ver: 0, iss: 'gpuaas', iat: now, exp: now + 3600 };
    await expectRefusedToken(`${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(claims)}.`);
  });

  it('should refuse a token signed with another algorithm than HS256, even with the right key', async () => {
    const user = await server.register('token');
    await expectRefusedToken(
      await signToken(await jwtKey(), { sub: user.id, role: 'USER', ver: 0, exp: inAnHour() }, 'HS512'),
    );
  });

  it('should refuse a token signed with another secret', async () => {
    const user = await server.register('token');
    const otherKey = new TextEncoder().encode('not-the-server-secret-but-long-enough-0123456789');
    await expectRefusedToken(await signToken(otherKey, { sub: user.id, role: 'ADMIN', ver: 0, exp: inAnHour() }));
  });

  it('should refuse a token from another issuer', async () => {
    const user = await server.register('token');
    await expectRefusedToken(
      await signToken(await jwtKey(), { sub: user.id, role: 'USER', ver: 0, iss: 'someone-else', exp: inAnHour() }),
    );
  });

  it('should refuse a token whose version is not the user’s current one (revoked)', async () => {
    const user = await server.register('token');
    await expectRefusedToken(await signToken(await jwtKey(), { sub: user.id, role: 'USER', ver: 1, exp: inAnHour() }));
    await expectRefusedToken(await signToken(await jwtKey(), { sub: user.id, role: 'USER', exp: inAnHour() }));
  });

  it('should refuse a validly signed token whose subject is not a user id', async () => {
    await expectRefusedToken(await signToken(await jwtKey(), { sub: 'not-a-uuid', role: 'ADMIN', ver: 0, exp: inAnHour() }));
    await expectRefusedToken(await signToken(await jwtKey(), { sub: randomUUID(), role: 'ADMIN', ver: 0, exp: inAnHour() }));
  });

  it.each([
    { label: 'a word', token: 'garbage' },
    { label: 'three dots apart', token: 'a.b.c' },
    { label: 'empty segments', token: '..' },
    { label: 'a lone header', token: 'eyJhbGciOiJIUzI1NiJ9' },
    { label: '5000 characters', token: 'x'.repeat(5000) },
  ])('should refuse a garbage token ($label)', async ({ token }) => {
    await expectRefusedToken(token);
  });

  it('should refuse the token of a user deleted behind its back, within AUTH_CACHE_MS', async () => {
    const user = await server.register('deleted');
    expect((await gql(ME, {}, user.token)).data?.me.id).toBe(user.id);
    await server.db.query('delete from users where id = $1', [user.id]);
    // No announcement comes from a change made in SQL: the cached user expires.
    await new Promise((r) => setTimeout(r, server.config.authCacheMs));
    await expectRefusedToken(user.token);
  });

  it('should still serve public operations to a request with an invalid token', async () => {
    const res = await gql('{ gpuTypes }', {}, 'garbage');
    expect(res.data?.gpuTypes).toEqual(['A100', 'H100', 'L40S']);
  });
});

describe('roles', () => {
  it('should apply a promotion and a demotion made behind its back to the same token within AUTH_CACHE_MS', async () => {
    const user = await server.register('promoted');
    expect(errorCode(await gql(USERS, {}, user.token))).toBe('FORBIDDEN');
    const expire = () => new Promise((r) => setTimeout(r, server.config.authCacheMs));

    await server.db.query("update users set role = 'ADMIN' where id = $1", [user.id]);
    await expire();
    const asAdmin = await gql(USERS, {}, user.token);
    expect(asAdmin.errors).toBeUndefined();
    expect(asAdmin.data?.users.totalCount).toBeGreaterThan(0);
    expect((await gql(ME, {}, user.token)).data?.me.role).toBe('ADMIN');

    await server.db.query("update users set role = 'USER' where id = $1", [user.id]);
    await expire();
    expect(errorCode(await gql(USERS, {}, user.token))).toBe('FORBIDDEN');
  });

  it('should read the user on every request with AUTH_CACHE_MS=0, so a change made in SQL applies at once', async () => {
    const uncached = await TestServer.start({ AUTH_CACHE_MS: '0' });
    try {
      const user = await uncached.register('uncached');
      const users = () => uncached.gql<{ users: { totalCount: number } }>(USERS, {}, user.token);
      expect(errorCode(await users())).toBe('FORBIDDEN');
      await uncached.db.query("update users set role = 'ADMIN' where id = $1", [user.id]);
      expect((await users()).errors).toBeUndefined();
      await uncached.db.query('delete from users where id = $1', [user.id]);
      expect(errorCode(await users())).toBe('UNAUTHENTICATED');
    } finally {
      await uncached.close();
    }
  });

  it('should demote at once through setUserRole, though the user was cached a moment ago', async () => {
    const user = await server.register('demoted');
    const admin = await server.loginAdmin();
    const promote = await gql(
      'mutation ($id: ID!, $role: Role!) { setUserRole(userId: $id, role: $role) { role } }',
      { id: user.id, role: 'ADMIN' },
      admin.token,
    );
    expect(promote.errors).toBeUndefined();
    // The promotion revoked the old token; a fresh one is an admin's, cached by this request.
    const { token } = (await gql<{ login: { token: string } }>(
      'mutation ($input: LoginInput!) { login(input: $input) { token } }',
      { input: { email: user.email, password: TEST_PASSWORD } },
    )).data!.login;
    expect((await gql(USERS, {}, token)).errors).toBeUndefined();
    await gql('mutation ($id: ID!, $role: Role!) { setUserRole(userId: $id, role: $role) { role } }', { id: user.id, role: 'USER' }, admin.token);
    expect(errorCode(await gql(USERS, {}, token))).toBe('UNAUTHENTICATED');
  });

  it('should not let a plain user approve their own job', async () => {
    const user = await server.register('owner');
    const jobId = (await submitJob(server, user, { name: 'own job' })).id;
    const res = await gql('mutation ($id: ID!) { approveJob(id: $id) { id } }', { id: jobId }, user.token);
    expect(errorCode(res)).toBe('FORBIDDEN');
    const { rows } = await server.db.query('select status from jobs where id = $1', [jobId]);
    expect(rows).toEqual([{ status: 'PENDING' }]);
  });

  it('should not let a plain user set their own quota', async () => {
    const user = await server.register('greedy');
    const res = await gql(
      'mutation ($userId: ID!, $limit: Float!) { setUserQuota(userId: $userId, limitGpuHours: $limit) { limitGpuHours } }',
      { userId: user.id, limit: 1_000_000 },
      user.token,
    );
    expect(errorCode(res)).toBe('FORBIDDEN');
    const { rows } = await server.db.query<{ monthly_gpu_hours_limit: string | null }>(
      'select monthly_gpu_hours_limit from users where id = $1',
      [user.id],
    );
    expect(rows[0]!.monthly_gpu_hours_limit).toBeNull();
    const quotaRows = await server.db.query('select 1 from user_quotas where user_id = $1', [user.id]);
    expect(quotaRows.rows).toHaveLength(0);
  });
});

/** One operation of the API, with variables that would be valid for it. */
interface Operation {
  name: string;
  query: string;
  variables: Record<string, unknown>;
}

const anyId = randomUUID();

const ADMIN_ONLY: Operation[] = [
  { name: 'users', query: '{ users { totalCount } }', variables: {} },
  { name: 'approveJob', query: 'mutation ($id: ID!) { approveJob(id: $id) { id } }', variables: { id: anyId } },
  { name: 'rejectJob', query: 'mutation ($id: ID!) { rejectJob(id: $id, reason: "no") { id } }', variables: { id: anyId } },
  { name: 'startJob', query: 'mutation ($id: ID!) { startJob(id: $id) { id } }', variables: { id: anyId } },
  { name: 'completeJob', query: 'mutation ($id: ID!) { completeJob(id: $id) { id } }', variables: { id: anyId } },
  { name: 'failJob', query: 'mutation ($id: ID!) { failJob(id: $id, reason: "oom") { id } }', variables: { id: anyId } },
  {
    name: 'setUserQuota',
    query: 'mutation ($id: ID!) { setUserQuota(userId: $id, limitGpuHours: 5) { limitGpuHours } }',
    variables: { id: anyId },
  },
];

const SIGNED_IN_ONLY: Operation[] = [
  { name: 'me', query: ME, variables: {} },
  { name: 'job', query: 'query ($id: ID!) { job(id: $id) { id } }', variables: { id: anyId } },
  { name: 'jobs', query: '{ jobs { totalCount } }', variables: {} },
  {
    name: 'createJob',
    query: 'mutation ($input: CreateJobInput!) { createJob(input: $input) { id } }',
    variables: { input: { name: 'anonymous', gpuCount: 1, hours: 1 } },
  },
  { name: 'cancelJob', query: 'mutation ($id: ID!) { cancelJob(id: $id) { id } }', variables: { id: anyId } },
  ...ADMIN_ONLY,
];

describe('authorisation', () => {
  it.each(ADMIN_ONLY)('should refuse $name to a plain user with FORBIDDEN', async ({ query, variables }) => {
    const user = await server.register('plain');
    const res = await gql(query, variables, user.token);
    expect(errorCode(res)).toBe('FORBIDDEN');
    expect(res.errors?.[0]?.message).toBe('Only an admin can do this');
    expect(res.data).toBeNull();
  });

  it.each(SIGNED_IN_ONLY)('should refuse $name without a token with UNAUTHENTICATED', async ({ query, variables }) => {
    const res = await gql(query, variables);
    expect(errorCode(res)).toBe('UNAUTHENTICATED');
    expect(res.data).toBeNull();
  });

  it('should write no job for createJob without a token', async () => {
    const before = await server.db.query<{ n: number }>('select count(*)::int as n from jobs');
    await gql(CREATE_JOB, { input: { ...VALID_JOB, name: 'anonymous' } });
    const after = await server.db.query<{ n: number }>('select count(*)::int as n from jobs');
    expect(after.rows[0]!.n).toBe(before.rows[0]!.n);
  });

  it('should answer gpuTypes without a token with the default catalogue', async () => {
    const res = await gql('{ gpuTypes }');
    expect(res.errors).toBeUndefined();
    expect(res.data?.gpuTypes).toEqual(['A100', 'H100', 'L40S']);
  });

  it('should let register and login work without a token', async () => {
    const email = freshEmail('public');
    expect((await register(email)).errors).toBeUndefined();
    expect((await login(email, TEST_PASSWORD)).errors).toBeUndefined();
  });

  it('should never expose the password hash as a field', async () => {
    const user: TestUser = await server.register('hash');
    const res = await gql('{ me { passwordHash } }', {}, user.token);
    expect(errorCode(res)).toBe('GRAPHQL_VALIDATION_FAILED');
  });
});
