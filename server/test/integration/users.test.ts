/**
 * The admin's view of users over HTTP: the paginated `users` list with each user's quota,
 * `setUserQuota`, and the hygiene of every error and of the HTTP surface (the README's "The API").
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ME_QUOTA, SET_QUOTA, countOf, submitJob, type QuotaView } from '../factories.js';
import { TestServer, errorCode, type GqlResponse, type TestUser } from '../harness.js';
import { hygienicGql } from '../hygiene.js';

const USERS_PAGE = `query ($first: Int, $after: String, $search: String) {
  users(first: $first, after: $after, search: $search) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { id email role createdAt quota { month limitGpuHours usedGpuHours remainingGpuHours } } }
  }
}`;

interface UserNode {
  id: string;
  email: string;
  role: string;
  createdAt: string;
  quota: QuotaView;
}
interface UsersPage {
  users: {
    totalCount: number;
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
    edges: { cursor: string; node: UserNode }[];
  };
}

let server: TestServer;
let admin: TestUser;

beforeAll(async () => {
  ({ server, admin } = await TestServer.startWithAdmin());
});
afterAll(async () => {
  await server?.close();
});

const gql = hygienicGql(() => server);

/** The current calendar month (UTC) as the API names it. */
const thisMonth = () => new Date().toISOString().slice(0, 7);

const countUsers = () => countOf(server.db, 'select count(*)::int as n from users');
const countQuotaRows = () => countOf(server.db, 'select count(*)::int as n from user_quotas');

/** Walks the whole `users` list as the admin, `first` at a time. */
async function allUserPages(first: number): Promise<UsersPage['users'][]> {
  const pages: UsersPage['users'][] = [];
  let after: string | null = null;
  for (;;) {
    const res: GqlResponse<UsersPage> = await gql<UsersPage>(USERS_PAGE, { first, after }, admin.token);
    expect(res.errors).toBeUndefined();
    const page = res.data!.users;
    pages.push(page);
    if (!page.pageInfo.hasNextPage) return pages;
    expect(page.edges).toHaveLength(first);
    expect(pages.length).toBeLessThan(1000);
    after = page.pageInfo.endCursor;
  }
}

const cursorOf = (text: string) => Buffer.from(text, 'utf8').toString('base64url');

describe('users', () => {
  it('should page through every user exactly once, oldest first, three at a time', async () => {
    const fresh = await Promise.all(Array.from({ length: 7 }, () => server.register('page')));
    const total = await countUsers();

    const pages = await allUserPages(3);
    const nodes = pages.flatMap((p) => p.edges.map((e) => e.node));
    const ids = nodes.map((n) => n.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toHaveLength(total);
    expect(ids).toEqual(expect.arrayContaining(fresh.map((u) => u.id)));
    for (const page of pages) expect(page.totalCount).toBe(total);

    const times = nodes.map((n) => Date.parse(n.createdAt));
    expect(times).toEqual([...times].sort((a, b) => a - b));

    const last = pages.at(-1)!;
    expect(last.pageInfo.hasNextPage).toBe(false);
    expect(last.pageInfo.endCursor).toBe(last.edges.at(-1)?.cursor ?? null);
    for (const page of pages) expect(page.pageInfo.endCursor).toBe(page.edges.at(-1)!.cursor);
  });

  it('should page correctly through users created in the same millisecond', async () => {
    const fresh = await Promise.all(Array.from({ length: 7 }, () => server.register('tie')));
    // A moment before any other user of this database, so the seven lead the list together.
    await server.db.query("update users set created_at = '2000-01-01T00:00:00.000Z' where id = any($1::uuid[])", [
      fresh.map((u) => u.id),
    ]);

    const pages = await allUserPages(3);
    const ids = pages.flatMap((p) => p.edges.map((e) => e.node.id));
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toHaveLength(await countUsers());
    expect(ids.slice(0, 7).sort()).toEqual(fresh.map((u) => u.id).sort());
    // Ties are broken by id, so the order is stable.
    expect(ids.slice(0, 7)).toEqual([...ids.slice(0, 7)].sort());
  });

  it('should answer an empty last page after the final cursor', async () => {
    await server.register('end');
    const pages = await allUserPages(100);
    const res = await gql<UsersPage>(USERS_PAGE, { first: 5, after: pages.at(-1)!.pageInfo.endCursor }, admin.token);
    expect(res.data?.users).toMatchObject({
      edges: [],
      pageInfo: { hasNextPage: false, endCursor: null },
      totalCount: await countUsers(),
    });
  });

  it('should continue after a cursor whose user has since been deleted', async () => {
    const [a, b, c] = await Promise.all([server.register('gone'), server.register('gone'), server.register('gone')]);
    await server.db.query(
      "update users set created_at = '2001-01-01T00:00:00.000Z'::timestamptz + (case id when $1::uuid then 0 when $2::uuid then 1 else 2 end) * interval '1 second' where id = any($3::uuid[])",
      [a!.id, b!.id, [a!.id, b!.id, c!.id]],
    );
    const all = (await allUserPages(100)).flatMap((p) => p.edges);
    const atA = all.findIndex((e) => e.node.id === a!.id);
    expect(all[atA + 1]?.node.id).toBe(b!.id);
    await server.db.query('delete from users where id = $1', [a!.id]);

    const res = await gql<UsersPage>(USERS_PAGE, { first: 1, after: all[atA]!.cursor }, admin.token);
    expect(res.data?.users.edges.map((e) => e.node.id)).toEqual([b!.id]);
  });

  it('should default to pages of 50 and accept up to 100', async () => {
    await Promise.all(Array.from({ length: 3 }, () => server.register('size')));
    const total = await countUsers();
    const byDefault = await gql<UsersPage>('{ users { totalCount edges { cursor } } }', {}, admin.token);
    expect(byDefault.data?.users.edges).toHaveLength(Math.min(50, total));
    const hundred = await gql<UsersPage>(USERS_PAGE, { first: 100 }, admin.token);
    expect(hundred.errors).toBeUndefined();
    expect(hundred.data?.users.edges).toHaveLength(Math.min(100, total));
  });

  it.each([0, -1, 101, 1_000_000])('should refuse first: %j with BAD_USER_INPUT naming first', async (first) => {
    const res = await gql(USERS_PAGE, { first }, admin.token);
    expect(errorCode(res)).toBe('BAD_USER_INPUT');
    expect(res.errors?.[0]?.extensions?.field).toBe('first');
    expect(res.data).toBeNull();
  });

  it.each([
    { label: 'a word', after: 'garbage' },
    { label: 'not base64url', after: 'not a cursor!' },
    { label: 'over 200 characters', after: 'x'.repeat(201) },
    { label: 'an id without a time', after: cursorOf(randomUUID()) },
    { label: 'a time and a non-UUID', after: cursorOf('2024-01-01T00:00:00.000Z|not-a-uuid') },
    { label: 'a non-time and an id', after: cursorOf(`not-a-date|${randomUUID()}`) },
    { label: 'a third part', after: cursorOf(`2024-01-01T00:00:00.000Z|${randomUUID()}|extra`) },
    { label: 'SQL in the time', after: cursorOf(`'; drop table users; --|${randomUUID()}`) },
  ])('should refuse a cursor that is $label with BAD_USER_INPUT naming after', async ({ after }) => {
    const res = await gql(USERS_PAGE, { first: 3, after }, admin.token);
    expect(errorCode(res)).toBe('BAD_USER_INPUT');
    expect(res.errors?.[0]?.extensions?.field).toBe('after');
    expect(res.data).toBeNull();
  });

  it("should show each user's quota for this month: the default limit and nothing used", async () => {
    const user = await server.register('quota');
    const nodes = (await allUserPages(100)).flatMap((p) => p.edges.map((e) => e.node));
    const node = nodes.find((n) => n.id === user.id);
    expect(node).toEqual({
      id: user.id,
      email: user.email,
      role: 'USER',
      createdAt: expect.any(String),
      quota: { month: thisMonth(), limitGpuHours: 100, usedGpuHours: 0, remainingGpuHours: 100 },
    });
    for (const n of nodes) {
      expect(n.quota.month).toBe(thisMonth());
      expect(n.quota.remainingGpuHours).toBe(Math.max(0, n.quota.limitGpuHours - n.quota.usedGpuHours));
    }
  });

  it('should find users by any part of their email, ignoring case, page by page, with the count of matches', async () => {
    const tag = `Find${randomUUID().slice(0, 8)}`;
    const found = [];
    for (let i = 0; i < 3; i += 1) found.push(await server.register(`${tag.toLowerCase()}-${i}`));
    await server.register('someone-else');
    const first = await gql<UsersPage>(USERS_PAGE, { first: 2, search: `  ${tag.toUpperCase()} ` }, admin.token);
    expect(first.errors).toBeUndefined();
    expect(first.data!.users.totalCount).toBe(3);
    expect(first.data!.users.pageInfo.hasNextPage).toBe(true);
    const second = await gql<UsersPage>(USERS_PAGE, { first: 2, after: first.data!.users.pageInfo.endCursor, search: tag }, admin.token);
    const emails = [...first.data!.users.edges, ...second.data!.users.edges].map((e) => e.node.email);
    expect(emails).toEqual(found.map((u) => u.email));
    expect(second.data!.users.pageInfo.hasNextPage).toBe(false);
    // A blank search is no search; what looks like a pattern is only text.
    const all = await gql<UsersPage>(USERS_PAGE, { first: 1, search: '   ' }, admin.token);
    expect(all.data!.users.totalCount).toBe(await countUsers());
    const pattern = await gql<UsersPage>(USERS_PAGE, { first: 5, search: '%' }, admin.token);
    expect(pattern.data!.users.totalCount).toBe(0);
  });

  it('should refuse a search longer than any email with BAD_USER_INPUT, and a user asking at all with FORBIDDEN', async () => {
    const res = await gql(USERS_PAGE, { first: 5, search: 'x'.repeat(255) }, admin.token);
    expect(errorCode(res)).toBe('BAD_USER_INPUT');
    expect(res.errors?.[0]?.extensions?.field).toBe('search');
    const user = await server.register('not-an-admin');
    expect(errorCode(await gql(USERS_PAGE, { first: 5, search: 'a' }, user.token))).toBe('FORBIDDEN');
  });

  it('should show the admin as ADMIN in the list', async () => {
    const nodes = (await allUserPages(100)).flatMap((p) => p.edges.map((e) => e.node));
    expect(nodes.find((n) => n.id === admin.id)?.role).toBe('ADMIN');
  });
});

describe('setUserQuota', () => {
  it("should set the user's limit for this month and show it to the user at once", async () => {
    const user = await server.register('limit');
    const res = await gql(SET_QUOTA, { userId: user.id, limitGpuHours: 12.5 }, admin.token);
    expect(res.errors).toBeUndefined();
    expect(res.data?.setUserQuota).toEqual({
      month: thisMonth(),
      limitGpuHours: 12.5,
      usedGpuHours: 0,
      remainingGpuHours: 12.5,
    });

    const me = await gql(ME_QUOTA, {}, user.token);
    expect(me.data?.me.quota).toEqual({ month: thisMonth(), limitGpuHours: 12.5, usedGpuHours: 0, remainingGpuHours: 12.5 });

    const listed = (await allUserPages(100)).flatMap((p) => p.edges.map((e) => e.node)).find((n) => n.id === user.id);
    expect(listed?.quota.limitGpuHours).toBe(12.5);

    // Stored on the user too, so it carries into the months that follow.
    const { rows } = await server.db.query<{ limit: string }>(
      'select monthly_gpu_hours_limit::text as limit from users where id = $1',
      [user.id],
    );
    expect(Number(rows[0]!.limit)).toBe(12.5);
  });

  it('should replace an earlier limit', async () => {
    const user = await server.register('limit');
    await gql(SET_QUOTA, { userId: user.id, limitGpuHours: 50 }, admin.token);
    const res = await gql(SET_QUOTA, { userId: user.id, limitGpuHours: 7 }, admin.token);
    expect(res.data?.setUserQuota.limitGpuHours).toBe(7);
    expect((await gql(ME_QUOTA, {}, user.token)).data?.me.quota.limitGpuHours).toBe(7);
  });

  it.each([0, 10_000_000])('should accept the boundary limit %j', async (limitGpuHours) => {
    const user = await server.register('limit');
    const res = await gql(SET_QUOTA, { userId: user.id, limitGpuHours }, admin.token);
    expect(res.errors).toBeUndefined();
    expect(res.data?.setUserQuota).toMatchObject({ limitGpuHours, remainingGpuHours: limitGpuHours });
  });

  it('should keep what is used and show nothing remaining when the limit is lowered below it', async () => {
    const user = await server.register('lowered');
    const created = await submitJob(server, user, { name: 'ten gpu-hours', gpuCount: 2, hours: 5 });
    expect(created.gpuHours).toBe(10);
    const res = await gql(SET_QUOTA, { userId: user.id, limitGpuHours: 4 }, admin.token);
    expect(res.data?.setUserQuota).toEqual({ month: thisMonth(), limitGpuHours: 4, usedGpuHours: 10, remainingGpuHours: 0 });
    expect((await gql(ME_QUOTA, {}, user.token)).data?.me.quota).toMatchObject({ usedGpuHours: 10, remainingGpuHours: 0 });
  });

  it.each([-1, -0.0001, 10_000_000.5, 1e12, Number.MAX_VALUE])(
    'should refuse the limit %j with BAD_USER_INPUT naming limitGpuHours and write nothing',
    async (limitGpuHours) => {
      const user = await server.register('badlimit');
      const quotaRows = await countQuotaRows();
      const res = await gql(SET_QUOTA, { userId: user.id, limitGpuHours }, admin.token);
      expect(errorCode(res)).toBe('BAD_USER_INPUT');
      expect(res.errors?.[0]?.extensions?.field).toBe('limitGpuHours');
      expect(res.data).toBeNull();
      expect(await countQuotaRows()).toBe(quotaRows);
      expect((await gql(ME_QUOTA, {}, user.token)).data?.me.quota.limitGpuHours).toBe(100);
    },
  );

  it.each(['NaN', 'Infinity', 'ten', '12', null])(
    'should refuse the non-number limit %j with BAD_USER_INPUT naming limitGpuHours',
    async (limitGpuHours) => {
      const user = await server.register('nanlimit');
      const res = await gql(SET_QUOTA, { userId: user.id, limitGpuHours }, admin.token);
      expect(errorCode(res)).toBe('BAD_USER_INPUT');
      expect(res.errors?.[0]?.message).toContain('limitGpuHours');
      expect(res.data ?? null).toBeNull();
      expect((await gql(ME_QUOTA, {}, user.token)).data?.me.quota.limitGpuHours).toBe(100);
    },
  );

  it('should refuse a limit written as a string literal in the query with GRAPHQL_VALIDATION_FAILED', async () => {
    const user = await server.register('literal');
    const res = await gql(
      `mutation ($userId: ID!) { setUserQuota(userId: $userId, limitGpuHours: "NaN") { limitGpuHours } }`,
      { userId: user.id },
      admin.token,
    );
    expect(errorCode(res)).toBe('GRAPHQL_VALIDATION_FAILED');
  });

  it.each([randomUUID(), 'not-a-uuid', '', "1' or '1'='1"])(
    'should answer NOT_FOUND for the user id %j and write nothing',
    async (userId) => {
      const quotaRows = await countQuotaRows();
      const res = await gql(SET_QUOTA, { userId, limitGpuHours: 5 }, admin.token);
      expect(errorCode(res)).toBe('NOT_FOUND');
      expect(res.data).toBeNull();
      expect(await countQuotaRows()).toBe(quotaRows);
    },
  );
});

describe('the HTTP surface', () => {
  it('should answer a syntax error with GRAPHQL_PARSE_FAILED', async () => {
    const res = await gql('{ me { id ', {}, admin.token);
    expect(res.status).toBe(400);
    expect(errorCode(res)).toBe('GRAPHQL_PARSE_FAILED');
  });

  it('should answer an unknown field with GRAPHQL_VALIDATION_FAILED', async () => {
    const res = await gql('{ me { id favouriteColour } }', {}, admin.token);
    expect(res.status).toBe(400);
    expect(errorCode(res)).toBe('GRAPHQL_VALIDATION_FAILED');
  });

  it('should answer an unknown argument with GRAPHQL_VALIDATION_FAILED', async () => {
    const res = await gql('{ users(last: 3) { totalCount } }', {}, admin.token);
    expect(errorCode(res)).toBe('GRAPHQL_VALIDATION_FAILED');
  });

  it('should serve GraphiQL to a browser asking for /graphql', async () => {
    const res = await fetch(`${server.url}/graphql`, { headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const page = await res.text();
    expect(page.toLowerCase()).toContain('graphiql');
    // Everything it loads comes from this server, so it works without internet access.
    expect(page).not.toMatch(/https?:\/\//);
  });

  it.each(['graphiql.js', 'react.js', 'react-dom.js', 'start.js', 'graphiql.css'])(
    'should serve the GraphiQL asset /graphiql/%s',
    async (asset) => {
      const res = await fetch(`${server.url}/graphiql/${asset}`);
      expect(res.status).toBe(200);
      expect((await res.text()).length).toBeGreaterThan(0);
    },
  );

  it('should answer an unknown path with 404', async () => {
    expect((await fetch(`${server.url}/no-such-page`)).status).toBe(404);
    expect((await fetch(`${server.url}/graphiql/no-such-asset.js`)).status).toBe(404);
  });

  it('should answer a malformed JSON body with 400 and no stack trace', async () => {
    const res = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"query": "{ gpuTypes }"',
    });
    expect(res.status).toBe(400);
    const body = await res.text();
    expect(body).not.toMatch(/\bat .+\(.+:\d+:\d+\)|node_modules|stacktrace/i);
  });

  it('should answer a body over the size limit with 413 and no stack trace', async () => {
    const res = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: `{ gpuTypes } # ${'x'.repeat(200_000)}` }),
    });
    expect(res.status).toBe(413);
    const body = await res.text();
    expect(body).not.toMatch(/\bat .+\(.+:\d+:\d+\)|node_modules|stacktrace/i);
  });
});
