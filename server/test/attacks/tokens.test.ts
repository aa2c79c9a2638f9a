/**
 * Stolen and stale tokens: revocation by "sign out everywhere", a password change and a role
 * change, over HTTP at once and over open WebSockets within seconds (on this API process and on
 * another replica); and key rotation with JWT_PREVIOUS_SECRET.
 */
import { CloseCode } from 'graphql-ws';
import { SignJWT, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_PASSWORD, TestServer, errorCode, type TestUser } from '../harness.js';
import { JOB_CHANGES, Subscription, closedWithin, connect, proveDelivers, type Change } from '../ws-client.js';

const ME = '{ me { id role } }';
const LOGIN = 'mutation ($input: LoginInput!) { login(input: $input) { token user { id role } } }';
const LOGOUT_EVERYWHERE = 'mutation { logoutEverywhere }';
const CHANGE_PASSWORD = `mutation ($currentPassword: String!, $newPassword: String!) {
  changePassword(currentPassword: $currentPassword, newPassword: $newPassword) { token user { id } }
}`;
const SET_ROLE = 'mutation ($userId: ID!, $role: Role!) { setUserRole(userId: $userId, role: $role) { id role } }';
const USERS = '{ users(first: 1) { totalCount } }';

/** How long a revoked socket may stay open. */
const REVOCATION_DEADLINE_MS = 5000;

async function expectMe(server: TestServer, token: string, id: string): Promise<void> {
  const res = await server.gql<{ me: { id: string } }>(ME, {}, token);
  expect(res.errors).toBeUndefined();
  expect(res.data?.me.id).toBe(id);
}

async function expectUnauthenticated(server: TestServer, token: string): Promise<void> {
  const res = await server.gql(ME, {}, token);
  expect(res.status).toBe(200);
  expect(res.data ?? null).toBeNull();
  expect(errorCode(res)).toBe('UNAUTHENTICATED');
}

/** A connected socket (to `url`, the server's by default) with a subscription proven live by an event of the user's own job. */
async function liveSocket(server: TestServer, user: TestUser, url = server.url) {
  const ws = connect(url, user.token);
  await ws.connected;
  const sub = new Subscription<Change>(ws.client, JOB_CHANGES);
  await proveDelivers(server, user, sub);
  return { ...ws, sub };
}

describe('token revocation', () => {
  let server: TestServer;
  let admin: TestUser;
  beforeAll(async () => {
    ({ server, admin } = await TestServer.startWithAdmin({ EVENT_POLL_MS: '100' }));
  });
  afterAll(async () => {
    await server?.close();
  });

  async function login(email: string, password: string) {
    return server.gql<{ login: { token: string; user: { id: string; role: string } } }>(LOGIN, { input: { email, password } });
  }

  describe('over HTTP', () => {
    it('should refuse every old token after logoutEverywhere, including the one that asked', async () => {
      const user = await server.register('logout');
      const second = (await login(user.email, TEST_PASSWORD)).data!.login.token;
      await expectMe(server, second, user.id);
      const res = await server.gql<{ logoutEverywhere: boolean }>(LOGOUT_EVERYWHERE, {}, user.token);
      expect(res.data?.logoutEverywhere).toBe(true);
      await expectUnauthenticated(server, user.token);
      await expectUnauthenticated(server, second);
      // Signing in again gives a working token.
      const fresh = (await login(user.email, TEST_PASSWORD)).data!.login.token;
      await expectMe(server, fresh, user.id);
    });

    it('should not touch other users\' tokens on logoutEverywhere', async () => {
      const user = await server.register('logout');
      const bystander = await server.register('bystander');
      await server.gql(LOGOUT_EVERYWHERE, {}, user.token);
      await expectMe(server, bystander.token, bystander.id);
    });

    it('should refuse the old token after changePassword, accept the new one, and refuse the old password', async () => {
      const user = await server.register('passwd');
      const newPassword = 'another-long-enough-password';
      const res = await server.gql<{ changePassword: { token: string; user: { id: string } } }>(
        CHANGE_PASSWORD,
        { currentPassword: TEST_PASSWORD, newPassword },
        user.token,
      );
      expect(res.errors).toBeUndefined();
      expect(res.data?.changePassword.user.id).toBe(user.id);
      const newToken = res.data!.changePassword.token;
      expect(newToken).not.toBe(user.token);

      await expectUnauthenticated(server, user.token);
      await expectMe(server, newToken, user.id);
      expect(errorCode(await login(user.email, TEST_PASSWORD))).toBe('UNAUTHENTICATED');
      expect((await login(user.email, newPassword)).data?.login.user.id).toBe(user.id);
    });

    it('should refuse changePassword with a wrong current password, revoking nothing', async () => {
      const user = await server.register('passwd');
      const res = await server.gql(CHANGE_PASSWORD, { currentPassword: 'not-my-password', newPassword: 'another-long-enough-password' }, user.token);
      expect(res.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'currentPassword' });
      await expectMe(server, user.token, user.id);
    });

    it('should refuse the old token at once when an admin demotes a user, and the promoted token too', async () => {
      const user = await server.register('role');
      const promoted = await server.gql<{ setUserRole: { role: string } }>(SET_ROLE, { userId: user.id, role: 'ADMIN' }, admin.token);
      expect(promoted.data?.setUserRole.role).toBe('ADMIN');
      // A role change revokes the tokens issued before it.
      await expectUnauthenticated(server, user.token);

      const adminToken = (await login(user.email, TEST_PASSWORD)).data!.login.token;
      const asAdmin = await server.gql(USERS, {}, adminToken);
      expect(asAdmin.errors).toBeUndefined();

      const demoted = await server.gql<{ setUserRole: { role: string } }>(SET_ROLE, { userId: user.id, role: 'USER' }, admin.token);
      expect(demoted.data?.setUserRole.role).toBe('USER');
      await expectUnauthenticated(server, adminToken);
      expect(errorCode(await server.gql(USERS, {}, adminToken))).toBe('UNAUTHENTICATED');

      const userToken = (await login(user.email, TEST_PASSWORD)).data!.login.token;
      expect(errorCode(await server.gql(USERS, {}, userToken))).toBe('FORBIDDEN');
    });

    it('should not revoke anything when setUserRole sets the role a user already has', async () => {
      const user = await server.register('role');
      const res = await server.gql(SET_ROLE, { userId: user.id, role: 'USER' }, admin.token);
      expect(res.errors).toBeUndefined();
      await expectMe(server, user.token, user.id);
    });
  });

  describe('over an open WebSocket', () => {
    it('should close the socket of a user who signs out everywhere with 4403, and leave another user\'s open and delivering', async () => {
      const user = await server.register('ws-logout');
      const bystander = await server.register('ws-bystander');
      const mine = await liveSocket(server, user);
      const theirs = await liveSocket(server, bystander);

      const started = Date.now();
      await server.gql(LOGOUT_EVERYWHERE, {}, user.token);
      const closed = await closedWithin(mine.closed, REVOCATION_DEADLINE_MS);
      expect(closed).toEqual({ code: CloseCode.Forbidden, reason: 'Token revoked' });
      expect(Date.now() - started).toBeLessThan(REVOCATION_DEADLINE_MS);

      // A change made after the revocation still reaches the bystander, whose socket stayed open.
      await proveDelivers(server, bystander, theirs.sub);
      expect(theirs.isClosed()).toBe(false);
      theirs.client.dispose();
    });

    it('should close the socket of a user whose password changes with 4403', async () => {
      const user = await server.register('ws-passwd');
      const bystander = await server.register('ws-bystander');
      const mine = await liveSocket(server, user);
      const theirs = await liveSocket(server, bystander);

      const res = await server.gql<{ changePassword: { token: string } }>(
        CHANGE_PASSWORD,
        { currentPassword: TEST_PASSWORD, newPassword: 'another-long-enough-password' },
        user.token,
      );
      expect(res.errors).toBeUndefined();
      expect(await closedWithin(mine.closed, REVOCATION_DEADLINE_MS)).toEqual({ code: CloseCode.Forbidden, reason: 'Token revoked' });
      await proveDelivers(server, bystander, theirs.sub);
      expect(theirs.isClosed()).toBe(false);

      // A socket opened with the new token is not closed by the revocation of the old ones.
      const renewed = await liveSocket(server, { ...user, token: res.data!.changePassword.token });
      expect(renewed.isClosed()).toBe(false);
      renewed.client.dispose();
      theirs.client.dispose();
    });

    it('should close the socket of a demoted admin with 4403', async () => {
      const user = await server.register('ws-role');
      await server.gql(SET_ROLE, { userId: user.id, role: 'ADMIN' }, admin.token);
      const adminToken = (await login(user.email, TEST_PASSWORD)).data!.login.token;
      const mine = await liveSocket(server, { ...user, token: adminToken });
      const bystander = await server.register('ws-bystander');
      const theirs = await liveSocket(server, bystander);

      await server.gql(SET_ROLE, { userId: user.id, role: 'USER' }, admin.token);
      expect(await closedWithin(mine.closed, REVOCATION_DEADLINE_MS)).toEqual({ code: CloseCode.Forbidden, reason: 'Token revoked' });
      await proveDelivers(server, bystander, theirs.sub);
      expect(theirs.isClosed()).toBe(false);
      theirs.client.dispose();
    });

    it('should refuse a new socket with a revoked token (4403)', async () => {
      const user = await server.register('ws-revoked');
      await server.gql(LOGOUT_EVERYWHERE, {}, user.token);
      const ws = connect(server.url, user.token);
      expect((await ws.closed).code).toBe(CloseCode.Forbidden);
    });

    describe('on another API replica', () => {
      const replica = TestServer.useReplica(() => server);

      it('should close a revoked user\'s socket held by the replica that did not revoke', async () => {
        const user = await server.register('ws-replica');
        // Live on the replica: it relays a change made through the other process.
        const ws = await liveSocket(server, user, replica.url);
        expect(ws.isClosed()).toBe(false);
        await server.gql(LOGOUT_EVERYWHERE, {}, user.token);
        expect(await closedWithin(ws.closed, REVOCATION_DEADLINE_MS)).toEqual({ code: CloseCode.Forbidden, reason: 'Token revoked' });
      });
    });
  });
});

describe('a revocation whose announcement was lost (WS_TOKEN_RECHECK_MS)', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await TestServer.start({ WS_TOKEN_RECHECK_MS: '200' });
  });

  afterAll(async () => {
    await server?.close();
  });

  it('should still close the revoked user\'s socket at the next check, and only theirs', async () => {
    const user = await server.register('ws-lost');
    const bystander = await server.register('ws-lost-bystander');
    const mine = await liveSocket(server, user);
    const theirs = await liveSocket(server, bystander);
    // What logoutEverywhere commits, without the NOTIFY that would announce it.
    await server.db.query('update users set token_version = token_version + 1 where id = $1', [user.id]);
    expect(await closedWithin(mine.closed, 3000)).toEqual({ code: CloseCode.Forbidden, reason: 'Token revoked' });
    // The check that closed it looked at the bystander's socket too, which still delivers a later change.
    await proveDelivers(server, bystander, theirs.sub);
    expect(theirs.isClosed()).toBe(false);
    theirs.client.dispose();
  });
});

describe('key rotation with JWT_PREVIOUS_SECRET', () => {
  const OLD_SECRET = 'the-old-jwt-secret-being-rotated-out-0123456789';
  const NEW_SECRET = 'the-new-jwt-secret-that-signs-from-now-on-98765';

  /** A token as the server would have issued it, signed with `secret`. */
  async function signedWith(server: TestServer, secret: string, user: TestUser): Promise<string> {
    const { rows } = await server.db.query<{ token_version: number; role: string }>(
      'select token_version, role from users where id = $1',
      [user.id],
    );
    return new SignJWT({ role: rows[0]!.role, ver: rows[0]!.token_version })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(user.id)
      .setIssuer('gpuaas')
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(secret));
  }

  describe('while rotating (JWT_SECRET=new, JWT_PREVIOUS_SECRET=old)', () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await TestServer.start({ JWT_SECRET: NEW_SECRET, JWT_PREVIOUS_SECRET: OLD_SECRET });
    });
    afterAll(async () => {
      await server?.close();
    });

    it('should accept a token signed with the previous secret', async () => {
      const user = await server.register('rotation');
      await expectMe(server, await signedWith(server, OLD_SECRET, user), user.id);
    });

    it('should accept a token signed with the previous secret over WebSocket too', async () => {
      const user = await server.register('rotation');
      const ws = connect(server.url, await signedWith(server, OLD_SECRET, user));
      await expect(Promise.race([ws.connected.then(() => 'connected'), ws.closed])).resolves.toBe('connected');
      ws.client.dispose();
    });

    it('should sign new tokens with the new secret only', async () => {
      const user = await server.register('rotation');
      await expect(jwtVerify(user.token, new TextEncoder().encode(NEW_SECRET))).resolves.toBeTruthy();
      await expect(jwtVerify(user.token, new TextEncoder().encode(OLD_SECRET))).rejects.toThrow();
    });

    it('should still refuse a revoked token signed with the previous secret', async () => {
      const user = await server.register('rotation');
      const old = await signedWith(server, OLD_SECRET, user);
      await server.gql(LOGOUT_EVERYWHERE, {}, user.token);
      await expectUnauthenticated(server, old);
    });

    it('should refuse a token signed with a third secret', async () => {
      const user = await server.register('rotation');
      await expectUnauthenticated(server, await signedWith(server, 'some-third-secret-nobody-configured-000000', user));
    });
  });

  describe('after rotation (JWT_SECRET=new, no JWT_PREVIOUS_SECRET)', () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await TestServer.start({ JWT_SECRET: NEW_SECRET });
    });
    afterAll(async () => {
      await server?.close();
    });

    it('should refuse a token signed with the old secret and accept one signed with the new', async () => {
      const user = await server.register('rotated');
      await expectUnauthenticated(server, await signedWith(server, OLD_SECRET, user));
      await expectMe(server, await signedWith(server, NEW_SECRET, user), user.id);
    });
  });
});
