/**
 * The README's "Security" (tokens): each API process keeps the users tokens name for up to
 * AUTH_CACHE_MS, but a revocation through any process bites on every other as soon as its
 * announcement arrives, not when the cache entry would expire. Two API processes with a cache far
 * longer than the test: a token used (and so cached) on B, revoked through A, is refused on B at
 * once; a demotion through A takes the admin's rights on B at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_PASSWORD, TestServer, errorCode } from '../harness.js';
import { LOGIN, dataOf, signUp, waitUntil } from '../factories.js';
import { ChildServer, stopAllChildren } from './child-process.js';

const ME = '{ me { id role } }';
const USERS = '{ users(first: 1) { totalCount } }';

describe('the token users cache across processes', () => {
  let server: TestServer;
  let apiA: ChildServer;
  let apiB: ChildServer;

  beforeAll(async () => {
    server = await TestServer.start();
    // A minute: longer than the test, so only an announcement can drop a cached user.
    const env = { DATABASE_URL: server.databaseUrl, AUTH_CACHE_MS: '60000', EVENT_POLL_MS: '200' };
    [apiA, apiB] = await Promise.all([ChildServer.start('api', env, 'api-A'), ChildServer.start('api', env, 'api-B')]);
  });
  afterAll(async () => {
    await stopAllChildren();
    await server?.close();
  });

  it('should refuse on B a token revoked through A within the time an announcement takes', async () => {
    const user = await signUp(apiA, 'cached');
    expect(dataOf(await apiB.gql<{ me: { id: string } }>(ME, {}, user.token), 'me on B').me.id).toBe(user.id);

    dataOf(await apiA.gql('mutation { logoutEverywhere }', {}, user.token), 'logoutEverywhere');
    await waitUntil(async () => errorCode(await apiB.gql(ME, {}, user.token)) === 'UNAUTHENTICATED', {
      timeoutMs: 5000,
      intervalMs: 20,
      what: 'B to refuse the revoked token',
    });
    // A new session works on B at once: its token is newer than anything B cached.
    const again = dataOf(await apiA.gql<{ login: { token: string } }>(LOGIN, { input: { email: user.email, password: TEST_PASSWORD } }), 'login');
    expect(dataOf(await apiB.gql<{ me: { id: string } }>(ME, {}, again.login.token), 'me with the new token').me.id).toBe(user.id);
  });

  it('should take an admin demoted through A its rights on B at once', async () => {
    const admin = await server.loginAdmin();
    const user = await signUp(apiA, 'promoted');
    const setRole = 'mutation ($id: ID!, $role: Role!) { setUserRole(userId: $id, role: $role) { role } }';
    dataOf(await apiA.gql(setRole, { id: user.id, role: 'ADMIN' }, admin.token), 'promote');
    const { login } = dataOf(await apiA.gql<{ login: { token: string } }>(LOGIN, { input: { email: user.email, password: TEST_PASSWORD } }), 'login');
    expect((await apiB.gql(USERS, {}, login.token)).errors).toBeUndefined();

    dataOf(await apiA.gql(setRole, { id: user.id, role: 'USER' }, admin.token), 'demote');
    await waitUntil(async () => errorCode(await apiB.gql(USERS, {}, login.token)) === 'UNAUTHENTICATED', {
      timeoutMs: 5000,
      intervalMs: 20,
      what: 'B to refuse the demoted admin',
    });
  });
});
