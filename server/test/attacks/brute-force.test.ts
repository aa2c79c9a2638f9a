/**
 * Password guessing and account flooding: the sliding-window limits on logins (per account and
 * per client address) and registrations (per address), how X-Forwarded-For is trusted, that the
 * limits are shared by every API replica through PostgreSQL, and that a failed login takes as
 * long for an unknown email as for a known one.
 *
 * The X-Forwarded-For values below are header values only: every request goes to 127.0.0.1.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_PASSWORD, TestServer } from '../harness.js';

const LOGIN = 'mutation ($input: LoginInput!) { login(input: $input) { token user { id } } }';
const REGISTER = 'mutation ($input: RegisterInput!) { register(input: $input) { token user { id } } }';

const PER_ACCOUNT = 10;
const PER_ADDRESS = 50;
const LIMITS = {
  LOGIN_RATE_LIMIT_PER_ACCOUNT: String(PER_ACCOUNT),
  AUTH_RATE_LIMIT_PER_ADDRESS: String(PER_ADDRESS),
  AUTH_RATE_WINDOW_SECONDS: '900',
};

/** One login or registration as the client saw it. */
interface Attempt {
  status: number;
  code: string | undefined;
  message: string | undefined;
  retryAfter: unknown;
  retryAfterHeader: string | null;
  token: string | undefined;
}

/** Sends a login or registration to `baseUrl`, from `address` when given (as X-Forwarded-For). */
async function attempt(
  baseUrl: string,
  mutation: 'login' | 'register',
  input: { email: string; password: string },
  address?: string,
): Promise<Attempt> {
  const res = await fetch(`${baseUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(address ? { 'x-forwarded-for': address } : {}) },
    body: JSON.stringify({ query: mutation === 'login' ? LOGIN : REGISTER, variables: { input } }),
  });
  const body = (await res.json()) as {
    data?: Record<string, { token: string }> | null;
    errors?: { message: string; extensions?: { code?: string; retryAfter?: unknown } }[];
  };
  const error = body.errors?.[0];
  return {
    status: res.status,
    code: error?.extensions?.code,
    message: error?.message,
    retryAfter: error?.extensions?.retryAfter,
    retryAfterHeader: res.headers.get('retry-after'),
    token: body.data?.[mutation]?.token,
  };
}

/** Runs `count` tasks, `concurrency` at a time, and returns their results in order. */
async function inBatches<T>(count: number, concurrency: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  for (let start = 0; start < count; start += concurrency) {
    const batch = Array.from({ length: Math.min(concurrency, count - start) }, (_, k) => task(start + k));
    results.push(...(await Promise.all(batch)));
  }
  return results;
}

function countCodes(attempts: Attempt[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const a of attempts) counts[a.code ?? 'OK'] = (counts[a.code ?? 'OK'] ?? 0) + 1;
  return counts;
}

/** Every refusal by a limit carries the wait in extensions and in the Retry-After header. */
function expectRetryAfter(a: Attempt): void {
  expect(a.status).toBe(200);
  expect(a.code).toBe('RATE_LIMITED');
  expect(typeof a.retryAfter).toBe('number');
  expect(a.retryAfter as number).toBeGreaterThan(0);
  expect(a.retryAfter as number).toBeLessThanOrEqual(900);
  expect(a.retryAfterHeader).toBe(String(a.retryAfter));
  expect(a.message).toMatch(/Too many attempts/);
  expect(a.token).toBeUndefined();
}

function freshEmail(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}@example.org`;
}

let nextNet = 1;
/** A /16 of client addresses no other test uses, so tests on one server never share a window. */
function addresses(): (host: number) => string {
  const net = nextNet++;
  return (host) => `10.${net}.${Math.floor(host / 250)}.${(host % 250) + 1}`;
}

describe('login and registration limits behind a trusted proxy (TRUST_PROXY=true)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await TestServer.start({ ...LIMITS, TRUST_PROXY: 'true' });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('should let at most LOGIN_RATE_LIMIT_PER_ACCOUNT of 200 wrong passwords from one address reach the password check', async () => {
    const victim = await server.register('victim');
    const from = addresses()(0);
    const results = await inBatches(200, 20, (i) =>
      attempt(server.url, 'login', { email: victim.email, password: `guess-number-${i}` }, from),
    );
    expect(countCodes(results)).toEqual({ UNAUTHENTICATED: PER_ACCOUNT, RATE_LIMITED: 200 - PER_ACCOUNT });
    for (const a of results.filter((r) => r.code === 'RATE_LIMITED')) expectRetryAfter(a);
    for (const a of results.filter((r) => r.code === 'UNAUTHENTICATED')) expect(a.message).toBe('Invalid email or password');
  });

  it('should stop 200 wrong passwords for one account spread over 20 addresses by the per-account limit, and then refuse the right password too', async () => {
    const victim = await server.register('victim');
    const from = addresses();
    const results = await inBatches(200, 20, (i) =>
      attempt(server.url, 'login', { email: victim.email, password: `guess-number-${i}` }, from(i % 20)),
    );
    const codes = countCodes(results);
    expect(codes.UNAUTHENTICATED).toBeLessThanOrEqual(PER_ACCOUNT);
    expect(codes).toEqual({ UNAUTHENTICATED: PER_ACCOUNT, RATE_LIMITED: 200 - PER_ACCOUNT });
    for (const a of results.filter((r) => r.code === 'RATE_LIMITED')) expectRetryAfter(a);

    // The owner, from an address that never guessed, is locked out for the window as well.
    const right = await attempt(server.url, 'login', { email: victim.email, password: TEST_PASSWORD }, from(100));
    expectRetryAfter(right);
    // …while their existing token keeps working: the limit guards logins, not sessions.
    const me = await server.gql<{ me: { id: string } }>('{ me { id } }', {}, victim.token);
    expect(me.data?.me.id).toBe(victim.id);
  });

  it('should count the account limit on the email whatever its case or surrounding spaces', async () => {
    const victim = await server.register('victim');
    const from = addresses();
    const spellings = [victim.email, victim.email.toUpperCase(), `  ${victim.email}  `, victim.email.replace(/^./, (c) => c.toUpperCase())];
    const results = await inBatches(40, 10, (i) =>
      attempt(server.url, 'login', { email: spellings[i % spellings.length]!, password: `guess-number-${i}` }, from(i)),
    );
    expect(countCodes(results)).toEqual({ UNAUTHENTICATED: PER_ACCOUNT, RATE_LIMITED: 40 - PER_ACCOUNT });
  });

  it('should limit an unknown email exactly like a known one, so the limit does not reveal which accounts exist', async () => {
    const from = addresses();
    const results = await inBatches(PER_ACCOUNT + 5, 5, (i) =>
      attempt(server.url, 'login', { email: 'nobody-here@example.org', password: `guess-number-${i}` }, from(i)),
    );
    expect(countCodes(results)).toEqual({ UNAUTHENTICATED: PER_ACCOUNT, RATE_LIMITED: 5 });
    for (const a of results.filter((r) => r.code === 'RATE_LIMITED')) expectRetryAfter(a);
  });

  it('should stop one address trying many accounts after AUTH_RATE_LIMIT_PER_ADDRESS logins, and count it under the forwarded address', async () => {
    const from = addresses();
    const results = await inBatches(PER_ADDRESS + 10, 5, (i) =>
      attempt(server.url, 'login', { email: freshEmail(`spray${i}`), password: 'a-guessed-password' }, from(0)),
    );
    expect(countCodes(results)).toEqual({ UNAUTHENTICATED: PER_ADDRESS, RATE_LIMITED: 10 });
    for (const a of results.filter((r) => r.code === 'RATE_LIMITED')) expectRetryAfter(a);

    // Another address is not affected.
    const other = await attempt(server.url, 'login', { email: freshEmail('spray'), password: 'a-guessed-password' }, from(1));
    expect(other.code).toBe('UNAUTHENTICATED');
    const { rows } = await server.db.query<{ key: string; n: number }>(
      'select key, count(*)::int as n from auth_attempts where key = $1 group by key',
      [`login:address:${from(0)}`],
    );
    expect(rows).toEqual([{ key: `login:address:${from(0)}`, n: PER_ADDRESS }]);
  });

  it('should refuse a registration flood from one address after AUTH_RATE_LIMIT_PER_ADDRESS attempts, creating no more accounts', async () => {
    const from = addresses();
    const prefix = `flood${randomUUID().slice(0, 6)}`;
    const results = await inBatches(PER_ADDRESS + 10, 10, (i) =>
      attempt(server.url, 'register', { email: freshEmail(`${prefix}-${i}`), password: TEST_PASSWORD }, from(0)),
    );
    expect(countCodes(results)).toEqual({ OK: PER_ADDRESS, RATE_LIMITED: 10 });
    for (const a of results.filter((r) => r.code === 'RATE_LIMITED')) expectRetryAfter(a);
    const { rows } = await server.db.query<{ n: number }>('select count(*)::int as n from users where email like $1', [`${prefix}-%`]);
    expect(rows[0]!.n).toBe(PER_ADDRESS);

    // Another address can still register.
    const other = await attempt(server.url, 'register', { email: freshEmail(prefix), password: TEST_PASSWORD }, from(1));
    expect(other.code).toBeUndefined();
    expect(other.token).toBeTruthy();
  });

  it('should count invalid registrations against the address limit too (checked before any validation)', async () => {
    const from = addresses();
    const junk = await inBatches(PER_ADDRESS, 10, (i) =>
      attempt(server.url, 'register', { email: `not-an-email-${i}`, password: 'short' }, from(0)),
    );
    expect(countCodes(junk)).toEqual({ BAD_USER_INPUT: PER_ADDRESS });
    const valid = await attempt(server.url, 'register', { email: freshEmail('after-junk'), password: TEST_PASSWORD }, from(0));
    expectRetryAfter(valid);
  });

  it('should take about as long to refuse an unknown email as a known email with a wrong password', async () => {
    const known = await server.register('timing');
    const from = addresses();
    const time = async (email: string, host: number): Promise<number> => {
      const started = performance.now();
      const a = await attempt(server.url, 'login', { email, password: 'not-the-password' }, from(host));
      expect(a.code).toBe('UNAUTHENTICATED');
      return performance.now() - started;
    };
    // Warm up both paths (the unknown-email path makes its dummy hash once).
    await time(freshEmail('unknown'), 0);
    await time(known.email, 1);
    const unknown: number[] = [];
    const wrong: number[] = [];
    for (let i = 0; i < 8; i++) {
      unknown.push(await time(freshEmail('unknown'), 10 + i));
      wrong.push(await time(known.email, 30 + i));
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const ratio = mean(unknown) / mean(wrong);
    expect(ratio, `unknown ${mean(unknown).toFixed(1)} ms vs wrong password ${mean(wrong).toFixed(1)} ms`).toBeGreaterThan(0.5);
    expect(ratio, `unknown ${mean(unknown).toFixed(1)} ms vs wrong password ${mean(wrong).toFixed(1)} ms`).toBeLessThan(2);
  });

  describe('with a second API replica on the same database', () => {
    const replica = TestServer.useReplica(() => server);

    it('should count guesses sent to either replica against one per-account limit', async () => {
      const victim = await server.register('replicas');
      const from = addresses();
      const urls = [server.url, replica.url];
      const results = await inBatches(40, 10, (i) =>
        attempt(urls[i % 2]!, 'login', { email: victim.email, password: `guess-number-${i}` }, from(i)),
      );
      expect(countCodes(results)).toEqual({ UNAUTHENTICATED: PER_ACCOUNT, RATE_LIMITED: 40 - PER_ACCOUNT });
      const viaReplica = results.filter((r, i) => i % 2 === 1);
      expect(viaReplica.some((r) => r.code === 'RATE_LIMITED')).toBe(true);
      for (const url of urls) {
        expectRetryAfter(await attempt(url, 'login', { email: victim.email, password: TEST_PASSWORD }, from(100)));
      }
    });

    it('should count registrations sent to either replica against one per-address limit', async () => {
      const from = addresses();
      const urls = [server.url, replica.url];
      const results = await inBatches(PER_ADDRESS + 6, 8, (i) =>
        attempt(urls[i % 2]!, 'register', { email: `not-an-email-${i}`, password: 'short' }, from(0)),
      );
      expect(countCodes(results)).toEqual({ BAD_USER_INPUT: PER_ADDRESS, RATE_LIMITED: 6 });
    });
  });
});

describe('login limits without a trusted proxy (the default)', () => {
  const PER_ADDRESS_HERE = 20;
  let server: TestServer;
  beforeAll(async () => {
    server = await TestServer.start({ ...LIMITS, AUTH_RATE_LIMIT_PER_ADDRESS: String(PER_ADDRESS_HERE) });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('should ignore X-Forwarded-For, so spoofed addresses all count as 127.0.0.1 against the per-address limit', async () => {
    const from = addresses();
    const results = await inBatches(PER_ADDRESS_HERE + 5, 5, (i) =>
      attempt(server.url, 'login', { email: freshEmail(`spoof${i}`), password: 'a-guessed-password' }, from(i)),
    );
    expect(countCodes(results)).toEqual({ UNAUTHENTICATED: PER_ADDRESS_HERE, RATE_LIMITED: 5 });
    for (const a of results.filter((r) => r.code === 'RATE_LIMITED')) expectRetryAfter(a);
    const { rows } = await server.db.query<{ key: string }>("select distinct key from auth_attempts where key like 'login:address:%'");
    expect(rows.map((r) => r.key)).toEqual(['login:address:127.0.0.1']);
  });
});
