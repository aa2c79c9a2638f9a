/**
 * Personal API tokens: created with the value shown once and only a hash stored; used like a
 * login token over HTTP and WebSocket; revoked at once over HTTP, on open sockets and on another
 * replica; revoked all together by a logout everywhere and a password change; never allowed to
 * create tokens, change the password or a role; `lastUsedAt` written at most once a minute.
 */
import { createHash } from 'node:crypto';
import { CloseCode } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_PASSWORD, TestServer, errorCode, gqlAt, type TestUser } from '../harness.js';
import { countOf, dataOf, submitJob, waitUntil } from '../factories.js';
import { JOB_CHANGES, Subscription, closedWithin, connect, proveDelivers, type Change } from '../ws-client.js';

const CREATE = `mutation CreateApiToken($name: String!, $expiresInDays: Int) {
  createApiToken(name: $name, expiresInDays: $expiresInDays) { token apiToken { id name createdAt lastUsedAt expiresAt } }
}`;
const LIST = 'query ApiTokens { apiTokens { id name createdAt lastUsedAt expiresAt } }';
const REVOKE = 'mutation RevokeApiToken($id: ID!) { revokeApiToken(id: $id) }';
const ME = 'query Me { me { id role } }';
const CHANGE_PASSWORD = `mutation ($currentPassword: String!, $newPassword: String!) {
  changePassword(currentPassword: $currentPassword, newPassword: $newPassword) { token }
}`;
const SET_ROLE = 'mutation ($userId: ID!, $role: Role!) { setUserRole(userId: $userId, role: $role) { id role } }';

interface Created {
  token: string;
  apiToken: { id: string; name: string; createdAt: string; lastUsedAt: string | null; expiresAt: string | null };
}

describe('API tokens', () => {
  let server: TestServer;
  let admin: TestUser;

  beforeAll(async () => {
    ({ server, admin } = await TestServer.startWithAdmin({ EVENT_POLL_MS: '100' }));
  });
  afterAll(async () => {
    await server?.close();
  });

  async function create(user: Pick<TestUser, 'token'>, name = 'laptop', expiresInDays: number | null = 30): Promise<Created> {
    return dataOf(await server.gql<{ createApiToken: Created }>(CREATE, { name, expiresInDays }, user.token), 'createApiToken').createApiToken;
  }

  async function meWith(token: string, url = server.url) {
    return gqlAt<{ me: { id: string } }>(url, ME, {}, token);
  }

  /** The token's `last_used_at` as the database holds it. */
  async function lastUsedAt(id: string): Promise<Date | null> {
    return (await server.db.query<{ last_used_at: Date | null }>('select last_used_at from api_tokens where id = $1', [id])).rows[0]!.last_used_at;
  }

  describe('creating and listing', () => {
    it('should return a gpa_ token once, list it without its value, and store only its SHA-256', async () => {
      const user = await server.register('tokens');
      const before = Date.now();
      const created = await create(user, '  laptop ', 30);
      expect(created.token).toMatch(/^gpa_[A-Za-z0-9_-]{43}$/);
      expect(created.apiToken.name).toBe('laptop');
      expect(created.apiToken.lastUsedAt).toBeNull();
      const days = (Date.parse(created.apiToken.expiresAt!) - before) / 86_400_000;
      expect(days).toBeGreaterThan(29.99);
      expect(days).toBeLessThan(30.01);

      const listed = dataOf(await server.gql<{ apiTokens: Created['apiToken'][] }>(LIST, {}, user.token), 'apiTokens').apiTokens;
      expect(listed).toEqual([created.apiToken]);
      expect(JSON.stringify(listed)).not.toContain(created.token.slice(4));

      // The database never holds the value: no column of any row contains it, and the hash matches.
      const { rows } = await server.db.query('select * from api_tokens where user_id = $1', [user.id]);
      expect(rows).toHaveLength(1);
      const dump = JSON.stringify(rows);
      expect(dump).not.toContain(created.token);
      expect(dump).not.toContain(created.token.slice(4));
      expect(rows[0].token_hash).toBe(createHash('sha256').update(created.token).digest('hex'));
    });

    it('should make a token that never expires when expiresInDays is null, and default to 90 days', async () => {
      const user = await server.register('tokens');
      expect((await create(user, 'ci', null)).apiToken.expiresAt).toBeNull();
      const res = await server.gql<{ createApiToken: Created }>(CREATE, { name: 'default' }, user.token);
      const days = (Date.parse(dataOf(res, 'createApiToken').createApiToken.apiToken.expiresAt!) - Date.now()) / 86_400_000;
      expect(Math.round(days)).toBe(90);
    });

    it('should refuse bad names and lifetimes with BAD_USER_INPUT naming the field, writing nothing', async () => {
      const user = await server.register('tokens');
      const cases: [Record<string, unknown>, string][] = [
        [{ name: '' }, 'name'],
        [{ name: 'x'.repeat(101) }, 'name'],
        [{ name: 'a\u0000b' }, 'name'],
        [{ name: 'ok', expiresInDays: 0 }, 'expiresInDays'],
        [{ name: 'ok', expiresInDays: 367 }, 'expiresInDays'],
      ];
      for (const [variables, field] of cases) {
        const res = await server.gql(CREATE, variables, user.token);
        expect(res.status).toBe(200);
        expect(res.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', field });
      }
      expect(await countOf(server.db, 'select count(*)::int as n from api_tokens where user_id = $1', [user.id])).toBe(0);
    });

    it('should refuse a 51st live token, naming the field', async () => {
      const user = await server.register('tokens-many');
      for (let i = 0; i < 50; i++) await create(user, `t${i}`);
      const res = await server.gql(CREATE, { name: 'one too many' }, user.token);
      expect(res.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'name' });
      expect(await countOf(server.db, 'select count(*)::int as n from api_tokens where user_id = $1', [user.id])).toBe(50);
    });

    it('should refuse everything without a signed-in user', async () => {
      expect(errorCode(await server.gql(CREATE, { name: 'x' }))).toBe('UNAUTHENTICATED');
      expect(errorCode(await server.gql(LIST))).toBe('UNAUTHENTICATED');
    });

    it("should list only the viewer's own tokens", async () => {
      const [a, b] = await Promise.all([server.register('tokens-a'), server.register('tokens-b')]);
      await create(a, 'a1');
      await create(b, 'b1');
      const listed = dataOf(await server.gql<{ apiTokens: { name: string }[] }>(LIST, {}, a.token), 'apiTokens').apiTokens;
      expect(listed.map((t) => t.name)).toEqual(['a1']);
    });
  });

  describe('using one', () => {
    it('should authenticate over HTTP as its owner, with the owner’s role', async () => {
      const user = await server.register('tokens');
      const { token } = await create(user);
      const res = await meWith(token);
      expect(res.data?.me.id).toBe(user.id);
      const job = await submitJob(server, { token });
      expect(job.owner.id).toBe(user.id);
      const adminToken = (await create(admin, 'admin script')).token;
      expect(errorCode(await server.gql('{ users(first: 1) { totalCount } }', {}, adminToken))).toBeUndefined();
    });

    it('should refuse unknown, malformed and expired tokens as UNAUTHENTICATED', async () => {
      const user = await server.register('tokens');
      const { token, apiToken } = await create(user);
      await server.db.query("update api_tokens set expires_at = now() - interval '1 second' where id = $1", [apiToken.id]);
      for (const bad of [token, `gpa_${'A'.repeat(43)}`, 'gpa_short', `${token}x`]) {
        expect(errorCode(await meWith(bad))).toBe('UNAUTHENTICATED');
      }
    });

    it('should open a WebSocket and deliver the owner’s job changes', async () => {
      const user = await server.register('tokens-ws');
      const { token } = await create(user);
      const ws = connect(server.url, token);
      await ws.connected;
      const sub = new Subscription<Change>(ws.client, JOB_CHANGES);
      await proveDelivers(server, user, sub);
      ws.client.dispose();
    });

    it('should write lastUsedAt at the first use and not again within the minute', async () => {
      const user = await server.register('tokens-used');
      const { token, apiToken } = await create(user);
      await meWith(token);
      const first = await waitUntil(async () => (await lastUsedAt(apiToken.id)) ?? undefined, { what: 'lastUsedAt written' });
      for (let i = 0; i < 20; i++) await meWith(token);
      // Even a write the process would let through is dropped by the conditional UPDATE.
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect((await lastUsedAt(apiToken.id))?.getTime()).toBe(first.getTime());
      const listed = dataOf(await server.gql<{ apiTokens: Created['apiToken'][] }>(LIST, {}, user.token), 'apiTokens').apiTokens;
      expect(Date.parse(listed[0]!.lastUsedAt!)).toBe(first.getTime());
    });
  });

  describe('what a token may not do', () => {
    it('should refuse createApiToken with FORBIDDEN, creating nothing', async () => {
      const user = await server.register('scope');
      const { token } = await create(user);
      const res = await server.gql(CREATE, { name: 'another' }, token);
      expect(errorCode(res)).toBe('FORBIDDEN');
      expect(res.errors?.[0]?.message).toMatch(/API token cannot create API tokens/);
      expect(await countOf(server.db, 'select count(*)::int as n from api_tokens where user_id = $1', [user.id])).toBe(1);
    });

    it('should refuse changePassword with FORBIDDEN, changing nothing', async () => {
      const user = await server.register('scope');
      const { token } = await create(user);
      const res = await server.gql(CHANGE_PASSWORD, { currentPassword: TEST_PASSWORD, newPassword: 'a-new-long-password' }, token);
      expect(errorCode(res)).toBe('FORBIDDEN');
      expect((await meWith(user.token)).data?.me.id).toBe(user.id);
      expect((await meWith(token)).data?.me.id).toBe(user.id);
    });

    it("should refuse setUserRole with FORBIDDEN, even an admin's token, changing nothing", async () => {
      const user = await server.register('scope');
      const { token } = await create(admin, 'admin-scope');
      const res = await server.gql(SET_ROLE, { userId: user.id, role: 'ADMIN' }, token);
      expect(errorCode(res)).toBe('FORBIDDEN');
      expect((await server.gql<{ me: { role: string } }>(ME, {}, user.token)).data?.me.role).toBe('USER');
    });
  });

  describe('revoking', () => {
    it('should refuse a revoked token over HTTP at once, and leave the owner’s other tokens working', async () => {
      const user = await server.register('revoke');
      const [one, two] = [await create(user, 'one'), await create(user, 'two')];
      expect((await meWith(one.token)).data?.me.id).toBe(user.id);
      const res = await server.gql<{ revokeApiToken: boolean }>(REVOKE, { id: one.apiToken.id }, user.token);
      expect(res.data?.revokeApiToken).toBe(true);
      expect(errorCode(await meWith(one.token))).toBe('UNAUTHENTICATED');
      expect((await meWith(two.token)).data?.me.id).toBe(user.id);
      expect((await meWith(user.token)).data?.me.id).toBe(user.id);
      const listed = dataOf(await server.gql<{ apiTokens: { name: string }[] }>(LIST, {}, user.token), 'apiTokens').apiTokens;
      expect(listed.map((t) => t.name)).toEqual(['two']);
    });

    it('should answer NOT_FOUND for a token revoked already, another user’s, or a malformed id', async () => {
      const [user, other] = await Promise.all([server.register('revoke'), server.register('revoke-other')]);
      const mine = await create(user);
      const theirs = await create(other);
      dataOf(await server.gql(REVOKE, { id: mine.apiToken.id }, user.token), 'revokeApiToken');
      expect(errorCode(await server.gql(REVOKE, { id: mine.apiToken.id }, user.token))).toBe('NOT_FOUND');
      expect(errorCode(await server.gql(REVOKE, { id: theirs.apiToken.id }, user.token))).toBe('NOT_FOUND');
      expect(errorCode(await server.gql(REVOKE, { id: 'not-a-uuid' }, user.token))).toBe('NOT_FOUND');
      expect((await meWith(theirs.token)).data?.me.id).toBe(other.id);
    });

    it('should let a token revoke itself', async () => {
      const user = await server.register('revoke');
      const { token, apiToken } = await create(user);
      expect((await server.gql<{ revokeApiToken: boolean }>(REVOKE, { id: apiToken.id }, token)).data?.revokeApiToken).toBe(true);
      expect(errorCode(await meWith(token))).toBe('UNAUTHENTICATED');
    });

    it('should close the sockets the token opened with 4403, and not the owner’s others', async () => {
      const user = await server.register('revoke-ws');
      const { token, apiToken } = await create(user);
      const byToken = connect(server.url, token);
      await byToken.connected;
      const sub = new Subscription<Change>(byToken.client, JOB_CHANGES);
      const byLogin = connect(server.url, user.token);
      await byLogin.connected;
      const loginSub = new Subscription<Change>(byLogin.client, JOB_CHANGES);
      await proveDelivers(server, user, sub, loginSub);

      await server.gql(REVOKE, { id: apiToken.id }, user.token);
      expect(await closedWithin(byToken.closed, 5000)).toEqual({ code: CloseCode.Forbidden, reason: 'Token revoked' });
      await proveDelivers(server, user, loginSub);
      expect(byLogin.isClosed()).toBe(false);
      byLogin.client.dispose();
      // And the revoked token cannot open a new one.
      expect((await connect(server.url, token).closed).code).toBe(CloseCode.Forbidden);
    });

    it('should revoke every API token on logoutEverywhere, closing their sockets', async () => {
      const user = await server.register('revoke-all');
      const { token } = await create(user);
      const ws = connect(server.url, token);
      await ws.connected;
      dataOf(await server.gql('mutation { logoutEverywhere }', {}, user.token), 'logoutEverywhere');
      expect(errorCode(await meWith(token))).toBe('UNAUTHENTICATED');
      expect(await closedWithin(ws.closed, 5000)).toEqual({ code: CloseCode.Forbidden, reason: 'Token revoked' });
      expect(await countOf(server.db, 'select count(*)::int as n from api_tokens where user_id = $1 and revoked_at is null', [user.id])).toBe(0);
    });

    it('should revoke every API token on a password change', async () => {
      const user = await server.register('revoke-all');
      const { token } = await create(user);
      const res = await server.gql(CHANGE_PASSWORD, { currentPassword: TEST_PASSWORD, newPassword: 'a-new-long-password' }, user.token);
      expect(res.errors).toBeUndefined();
      expect(errorCode(await meWith(token))).toBe('UNAUTHENTICATED');
    });

    describe('on another API replica', () => {
      const replica = TestServer.useReplica(() => server);

      it('should not write lastUsedAt again within the minute from another process, nor from this one', async () => {
        const user = await server.register('used-replica');
        const { token, apiToken } = await create(user);
        await meWith(token);
        const first = await waitUntil(async () => (await lastUsedAt(apiToken.id)) ?? undefined, { what: 'lastUsedAt written' });
        // The replica has never seen the token, so it asks to write: the conditional UPDATE drops it.
        expect((await meWith(token, replica.url)).data?.me.id).toBe(user.id);
        await new Promise((resolve) => setTimeout(resolve, 200));
        expect((await lastUsedAt(apiToken.id))?.getTime()).toBe(first.getTime());
        // With the row a minute old, the processes that wrote or asked lately still wait their minute.
        await server.db.query("update api_tokens set last_used_at = now() - interval '2 minutes' where id = $1", [apiToken.id]);
        const aged = (await lastUsedAt(apiToken.id))!.getTime();
        await meWith(token);
        await meWith(token, replica.url);
        await new Promise((resolve) => setTimeout(resolve, 200));
        expect((await lastUsedAt(apiToken.id))?.getTime()).toBe(aged);
      });

      it('should refuse the token there as soon as the revocation is announced, and close its socket there', async () => {
        const user = await server.register('revoke-replica');
        const { token, apiToken } = await create(user);
        // The replica caches the token's user, as every process does.
        expect((await meWith(token, replica.url)).data?.me.id).toBe(user.id);
        const ws = connect(replica.url, token);
        await ws.connected;
        await server.gql(REVOKE, { id: apiToken.id }, user.token);
        const started = Date.now();
        await waitUntil(async () => errorCode(await meWith(token, replica.url)) === 'UNAUTHENTICATED', {
          timeoutMs: 3000,
          intervalMs: 20,
          what: 'the replica refusing the revoked token',
        });
        // Well inside AUTH_CACHE_MS (5 s): the announcement, not the cache's age, dropped it.
        expect(Date.now() - started).toBeLessThan(2000);
        expect(await closedWithin(ws.closed, 5000)).toEqual({ code: CloseCode.Forbidden, reason: 'Token revoked' });
      });
    });
  });

  describe('metrics', () => {
    it('should report live tokens and requests made with them', async () => {
      const user = await server.register('metrics');
      const { token } = await create(user);
      await meWith(token);
      const text = await (await fetch(`${server.url}/metrics`)).text();
      expect(Number(/^gpuaas_api_tokens (\d+)$/m.exec(text)?.[1])).toBeGreaterThanOrEqual(1);
      expect(Number(/^gpuaas_api_token_requests_total (\d+)$/m.exec(text)?.[1])).toBeGreaterThanOrEqual(1);
    });
  });
});
