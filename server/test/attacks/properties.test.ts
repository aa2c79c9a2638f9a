/**
 * Property-based abuse of every mutation: random inputs (unicode, control characters, SQL-looking
 * text, huge strings, wrong types, extreme numbers, random and real ids, null) sent through
 * variables by a user, an admin, nobody and a forged token. Whatever arrives, the answer is never
 * a 5xx, never an unexpected error, never a stack trace or SQL; and the data stays consistent:
 * quotas add up, and every job's status and timestamps follow the lifecycle table.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { JobStatus, TERMINAL_STATUSES, canMove } from '../../src/modules/jobs/job-status.js';
import { jobIn } from '../factories.js';
import { ADMIN_EMAIL, TEST_PASSWORD, TestServer, type GqlResponse, type TestUser } from '../harness.js';
import { assertQuotaSumRule } from '../invariants.js';

/** Codes a client may see. INTERNAL_SERVER_ERROR is not among them: it means a bug was hit. */
const KNOWN_CODES = new Set([
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'BAD_USER_INPUT',
  'QUOTA_EXCEEDED',
  'INVALID_TRANSITION',
  'RATE_LIMITED',
  'GRAPHQL_VALIDATION_FAILED',
  'GRAPHQL_PARSE_FAILED',
  'BAD_REQUEST',
]);

/** Text only a stack trace, SQL or a database driver would put in a message. */
const LEAKS = [/ {4}at /, /\bselect /i, /\binsert into\b/i, /\bupdate /i, /syntax error at or near/i, /violates/i, /node_modules/, /\bpg_/];

const MUTATIONS = {
  register: 'mutation ($input: RegisterInput!) { register(input: $input) { token user { id email role } } }',
  login: 'mutation ($input: LoginInput!) { login(input: $input) { token user { id role } } }',
  createJob: 'mutation ($input: CreateJobInput!) { createJob(input: $input) { id status gpuHours owner { id quota { usedGpuHours } } } }',
  cancelJob: 'mutation ($id: ID!) { cancelJob(id: $id) { id status chargedGpuHours } }',
  approveJob: 'mutation ($id: ID!) { approveJob(id: $id) { id status approvedAt } }',
  rejectJob: 'mutation ($id: ID!, $reason: String) { rejectJob(id: $id, reason: $reason) { id status statusReason } }',
  startJob: 'mutation ($id: ID!) { startJob(id: $id) { id status startedAt } }',
  completeJob: 'mutation ($id: ID!) { completeJob(id: $id) { id status chargedGpuHours } }',
  failJob: 'mutation ($id: ID!, $reason: String) { failJob(id: $id, reason: $reason) { id status statusReason } }',
  setUserQuota: 'mutation ($userId: ID!, $limitGpuHours: Float!) { setUserQuota(userId: $userId, limitGpuHours: $limitGpuHours) { limitGpuHours usedGpuHours } }',
  changePassword: 'mutation ($currentPassword: String!, $newPassword: String!) { changePassword(currentPassword: $currentPassword, newPassword: $newPassword) { token } }',
  setUserRole: 'mutation ($userId: ID!, $role: Role!) { setUserRole(userId: $userId, role: $role) { id role } }',
} as const;
type Mutation = keyof typeof MUTATIONS;

const NUM_RUNS = 100;

// --- Arbitraries ---------------------------------------------------------------------------

/** Strings an attacker would try first. */
const nastyText = fc.constantFrom(
  '',
  ' ',
  "'; drop table users; --",
  "' OR '1'='1",
  `${ADMIN_EMAIL}' --`,
  'admin@gpuaas.test\u0000',
  'a\u0000b',
  '\u0000',
  '%',
  '_%_',
  '\\',
  '$1',
  'null',
  'undefined',
  'NaN',
  '-1',
  '1e309',
  '<script>alert(1)</script>',
  '${7*7}{{7*7}}',
  '../../etc/passwd',
  '\u202Egnp.exe',
  'e\u0301\u0301\u0301',
  '𝔘𝔫𝔦𝔠𝔬𝔡𝔢 🧨 текст 漢字',
  '\uD800',
  '\r\n\t',
  'ADMIN',
);

/** A string with a control character (NUL included) somewhere inside. */
const withControl: fc.Arbitrary<string> = fc
  .tuple(
    fc.string({ maxLength: 12 }),
    fc.oneof(fc.constant('\u0000'), fc.constantFrom('\u0001', '\u0007', '\u001b', '\u007f', '\u0085', '\u2028')),
    fc.string({ maxLength: 12 }),
  )
  .map(([a, c, b]) => `${a}${c}${b}`);

const text: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 2, arbitrary: withControl },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 3, arbitrary: nastyText },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 200, maxLength: 20_000 }) },
);

/** Email-shaped strings, some valid, some almost. */
const emailish: fc.Arbitrary<string> = fc.oneof(
  fc.emailAddress(),
  fc.tuple(text, fc.constantFrom('@example.org', '@EXAMPLE.org', '@x', '')).map(([local, domain]) => `${local}${domain}`),
  fc.tuple(fc.emailAddress(), withControl).map(([email, junk]) => `${junk}${email}`),
  fc.constantFrom(ADMIN_EMAIL, ` ${ADMIN_EMAIL.toUpperCase()} `),
  text,
);

/** Numbers and things that are almost numbers. */
const numberish: fc.Arbitrary<unknown> = fc.oneof(
  fc.integer(),
  fc.integer({ min: -3, max: 12 }),
  fc.double(), // NaN and ±Infinity travel as null in JSON
  fc.double({ min: 0, max: 100, noNaN: true }),
  fc.constantFrom(0, -0, 1e-5, 4e-5, 5e-5, 1e-10, 8, 9, 72, 72.00001, 2 ** 31, -(2 ** 31) - 1, 2 ** 53, Number.MAX_VALUE, 1e7, 1e7 + 0.01),
  fc.constantFrom('NaN', '1', '1e3', 'Infinity', '', '0x10', '  2 '),
  fc.constant(null),
  fc.boolean(),
);

/** Anything at all in a variable's place: objects, arrays, wrong scalars. */
const junk: fc.Arbitrary<unknown> = fc.oneof(fc.jsonValue({ maxDepth: 2 }), text, numberish);

/** Sometimes the typed variables, sometimes a variable missing or of another type. */
function variables<T extends Record<string, unknown>>(typed: fc.Arbitrary<T>): fc.Arbitrary<Record<string, unknown>> {
  return fc.oneof(
    { weight: 8, arbitrary: typed },
    {
      weight: 1,
      arbitrary: typed.chain((v) =>
        fc.record({ key: fc.constantFrom(...Object.keys(v)), value: junk }).map(({ key, value }) => ({ ...v, [key]: value })),
      ),
    },
    { weight: 1, arbitrary: fc.dictionary(fc.string({ maxLength: 12 }), junk, { maxKeys: 3 }) },
  );
}

// --- The server and its state -----------------------------------------------------------------

let server: TestServer;
let admin: TestUser;
let user: TestUser;
let other: TestUser;
/** Users whose role the setUserRole property may change (never the actors above). */
const roleTargets: TestUser[] = [];
/** The account changePassword is tried on; its token and password follow successful changes. */
let passwordUser: TestUser & { password: string };
/** Real ids the generators pick from, grown as jobs are created. */
const jobIds: string[] = [];
/** Jobs kept out of the random runs, for the fixed examples: one PENDING, one RUNNING. */
const reserved = { pending: '', running: '' };

type Actor = 'user' | 'other' | 'admin' | 'none' | 'forged';
const actor = fc.constantFrom<Actor>('user', 'other', 'admin', 'admin', 'none', 'forged');

function tokenOf(who: Actor): string | undefined {
  switch (who) {
    case 'user':
      return user.token;
    case 'other':
      return other.token;
    case 'admin':
      return admin.token;
    case 'none':
      return undefined;
    case 'forged':
      return `${admin.token.slice(0, -4)}AAAA`;
  }
}

const jobId: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.constant(null).chain(() => (jobIds.length ? fc.constantFrom(...jobIds) : fc.uuid())) },
  // The newest jobs are the ones most likely still open, so transitions on them can succeed.
  { weight: 3, arbitrary: fc.constant(null).chain(() => (jobIds.length ? fc.constantFrom(...jobIds.slice(-4)) : fc.uuid())) },
  { weight: 2, arbitrary: fc.uuid() },
  { weight: 1, arbitrary: fc.constant(null).chain(() => (jobIds.length ? fc.constantFrom(...jobIds).map((id) => id.toUpperCase()) : fc.uuid())) },
  { weight: 2, arbitrary: text },
  { weight: 1, arbitrary: fc.integer() },
);

const userId = (pool: () => TestUser[]): fc.Arbitrary<unknown> =>
  fc.oneof(
    { weight: 4, arbitrary: fc.constant(null).chain(() => fc.constantFrom(...pool().map((u) => u.id))) },
    { weight: 2, arbitrary: fc.uuid() },
    { weight: 2, arbitrary: text },
    { weight: 1, arbitrary: fc.integer() },
  );

/** A valid job request now and then, so the lifecycle properties have jobs to move. */
const jobInput = fc.oneof(
  { weight: 1, arbitrary: fc.record({ name: fc.constantFrom('train', 'eval', 'ünïcödé'), gpuType: fc.constantFrom('A100', 'h100', null), gpuCount: fc.integer({ min: 1, max: 2 }), hours: fc.constantFrom(0.1, 0.5, 1) }) },
  { weight: 2, arbitrary: fc.record({ name: text, gpuType: fc.option(fc.oneof(text, fc.constantFrom('A100', 'l40s', ' H100 ')), { nil: null }), gpuCount: numberish, hours: numberish }) },
);

const arbitraries: Record<Mutation, fc.Arbitrary<Record<string, unknown>>> = {
  register: variables(fc.record({ input: fc.record({ email: emailish, password: fc.oneof(text, fc.constant(TEST_PASSWORD)) }) })),
  login: variables(fc.record({ input: fc.record({ email: emailish, password: fc.oneof(text, fc.constant(TEST_PASSWORD)) }) })),
  createJob: variables(fc.record({ input: jobInput })),
  cancelJob: variables(fc.record({ id: jobId })),
  approveJob: variables(fc.record({ id: jobId })),
  rejectJob: variables(fc.record({ id: jobId, reason: fc.option(text, { nil: null }) })),
  startJob: variables(fc.record({ id: jobId })),
  completeJob: variables(fc.record({ id: jobId })),
  failJob: variables(fc.record({ id: jobId, reason: fc.option(text, { nil: null }) })),
  setUserQuota: variables(fc.record({ userId: userId(() => [user, other, admin]), limitGpuHours: numberish })),
  changePassword: variables(
    fc.record({
      currentPassword: fc.oneof(text, fc.constant(null).map(() => passwordUser.password)),
      newPassword: fc.oneof(text, fc.constant(null).map(() => `new-password-${randomUUID().slice(0, 8)}`)),
    }),
  ),
  setUserRole: variables(fc.record({ userId: userId(() => roleTargets), role: fc.oneof(fc.constantFrom('ADMIN', 'USER'), text) })),
};

// --- Checks ---------------------------------------------------------------------------------

/** Sends one mutation and checks the answer's hygiene; returns it for bookkeeping. */
async function send(mutation: Mutation, vars: Record<string, unknown>, token: string | undefined): Promise<GqlResponse> {
  const res = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query: MUTATIONS[mutation], variables: vars }),
  });
  const raw = await res.text();
  const context = `${mutation} ${JSON.stringify(vars).slice(0, 300)} → ${res.status} ${raw.slice(0, 500)}`;
  expect(res.status, context).toBeLessThan(500);
  const body = JSON.parse(raw) as Omit<GqlResponse, 'status'>;
  for (const error of body.errors ?? []) {
    expect(KNOWN_CODES.has(String(error.extensions?.code)), `unknown or internal code in ${context}`).toBe(true);
    expect(error.extensions ?? {}, context).not.toHaveProperty('stacktrace');
    for (const leak of LEAKS) expect(error.message, context).not.toMatch(leak);
  }
  if (!body.errors?.length) expect(body.data?.[mutation], context).toBeTruthy();
  return { status: res.status, ...body };
}

interface JobRow {
  id: string;
  status: JobStatus;
  approved_at: Date | null;
  started_at: Date | null;
  finished_at: Date | null;
  charged_gpu_hours: string | null;
  progress: number;
  events: { kind: string; from: JobStatus | null; to: JobStatus }[];
}

/**
 * Every job's history replays through the transition table from PENDING to its status, and its
 * timestamps match that history.
 */
async function assertJobsFollowLifecycle(): Promise<void> {
  const { rows } = await server.db.query<JobRow>(
    `select j.id, j.status, j.approved_at, j.started_at, j.finished_at, j.charged_gpu_hours::text, j.progress,
            coalesce(json_agg(json_build_object('kind', e.kind, 'from', e.from_status, 'to', e.to_status) order by e.id)
                       filter (where e.id is not null), '[]') as events
       from jobs j left join job_events e on e.job_id = j.id
      group by j.id`,
  );
  for (const job of rows) {
    const where = `job ${job.id} (${job.status}) with events ${JSON.stringify(job.events)}`;
    const [created, ...rest] = job.events;
    expect(created, where).toEqual({ kind: 'CREATED', from: null, to: JobStatus.PENDING });
    let status = JobStatus.PENDING;
    const reached = new Set<JobStatus>([status]);
    for (const event of rest) {
      expect(event.from, where).toBe(status);
      if (event.kind === 'PROGRESS') {
        expect(event.to, where).toBe(JobStatus.RUNNING);
        continue;
      }
      expect(event.kind, where).toBe('TRANSITION');
      expect(canMove(status, event.to), `${where}: ${status} → ${event.to}`).toBe(true);
      status = event.to;
      reached.add(status);
    }
    expect(job.status, where).toBe(status);
    expect(job.approved_at !== null, `${where}: approved_at`).toBe(reached.has(JobStatus.APPROVED));
    expect(job.started_at !== null, `${where}: started_at`).toBe(reached.has(JobStatus.RUNNING));
    const terminal = TERMINAL_STATUSES.has(job.status);
    expect(job.finished_at !== null, `${where}: finished_at`).toBe(terminal);
    expect(job.charged_gpu_hours !== null, `${where}: charged_gpu_hours`).toBe(terminal);
    if (job.status === JobStatus.COMPLETED) expect(job.progress, where).toBe(100);
    if (job.started_at && job.approved_at) expect(job.started_at >= job.approved_at, where).toBe(true);
    if (job.finished_at && job.started_at) expect(job.finished_at >= job.started_at, where).toBe(true);
  }
}

async function assertInvariants(): Promise<void> {
  const negative = await server.db.query('select user_id, month, used_gpu_hours::text from user_quotas where used_gpu_hours < 0');
  expect(negative.rows, 'negative used_gpu_hours').toEqual([]);
  await assertQuotaSumRule(server.db);
  await assertJobsFollowLifecycle();
}

/** Keeps the test's bookkeeping in step with what a mutation did. */
function remember(mutation: Mutation, who: Actor | 'password-user', vars: Record<string, unknown>, res: GqlResponse): void {
  if (mutation === 'createJob' && res.data?.createJob) jobIds.push((res.data.createJob as { id: string }).id);
  if (mutation === 'changePassword' && who === 'password-user' && res.data?.changePassword) {
    passwordUser = {
      ...passwordUser,
      token: (res.data.changePassword as { token: string }).token,
      password: String(vars.newPassword),
    };
  }
}

// --- Properties -----------------------------------------------------------------------------

describe('every mutation under random input', () => {
  beforeAll(async () => {
    ({ server, admin } = await TestServer.startWithAdmin({ MAX_GPU_COUNT: '8', DEFAULT_MONTHLY_GPU_HOURS: '200' }));
    user = await server.register('prop-user');
    other = await server.register('prop-other');
    for (let i = 0; i < 3; i++) roleTargets.push(await server.register('prop-target'));
    passwordUser = { ...(await server.register('prop-password')), password: TEST_PASSWORD };
    // Jobs in several statuses to aim the lifecycle mutations at.
    const seed = async (owner: TestUser, status: JobStatus) => (await jobIn(server, status, { owner, name: 'seed' })).id;
    for (const owner of [user, user, other]) jobIds.push(await seed(owner, JobStatus.PENDING));
    jobIds.push(await seed(user, JobStatus.APPROVED), await seed(other, JobStatus.RUNNING));
    reserved.pending = await seed(other, JobStatus.PENDING);
    reserved.running = await seed(other, JobStatus.RUNNING);
  });
  afterAll(async () => {
    await server?.close();
  });
  afterEach(async () => {
    await assertInvariants();
  });

  const runs: Record<Mutation, number> = {
    register: NUM_RUNS,
    login: 40,
    createJob: 100,
    cancelJob: NUM_RUNS,
    approveJob: NUM_RUNS,
    rejectJob: NUM_RUNS,
    startJob: NUM_RUNS,
    completeJob: NUM_RUNS,
    failJob: NUM_RUNS,
    setUserQuota: NUM_RUNS,
    changePassword: 40,
    setUserRole: NUM_RUNS,
  };

  /** Inputs always tried first, besides the random ones: the classic attacks on each mutation. */
  const examples = (): Partial<Record<Mutation, [Actor | 'password-user', Record<string, unknown>][]>> => ({
    register: [
      ['none', { input: { email: 'nul\u0000byte@example.org', password: TEST_PASSWORD } }],
      ['none', { input: { email: "o'brien@example.org", password: TEST_PASSWORD } }],
    ],
    login: [
      ['none', { input: { email: `${ADMIN_EMAIL}\u0000`, password: 'whatever-it-is' } }],
      ['none', { input: { email: "' OR 1=1 --", password: "' OR 1=1 --" } }],
    ],
    createJob: [['user', { input: { name: 'nul\u0000name', gpuCount: 1, hours: 1 } }]],
    rejectJob: [['admin', { id: reserved.pending, reason: 'nul\u0000reason' }]],
    failJob: [['admin', { id: reserved.running, reason: 'nul\u0000reason' }]],
    setUserQuota: [['admin', { userId: user.id, limitGpuHours: 1e7 + 0.01 }]],
    changePassword: [['password-user', { currentPassword: 'nul\u0000', newPassword: 'nul\u0000-new-password' }]],
    setUserRole: [['admin', { userId: "' OR 1=1 --", role: 'ADMIN' }]],
  });

  it.each(Object.keys(MUTATIONS) as Mutation[])(
    'should answer %s with a known code or data, never a 5xx, a stack trace or SQL, whoever sends it',
    async (mutation) => {
      const sender = mutation === 'changePassword' ? fc.constantFrom<Actor | 'password-user'>('password-user', 'password-user', 'none', 'forged', 'admin') : actor;
      await fc.assert(
        fc.asyncProperty(sender, arbitraries[mutation], async (who, vars) => {
          const token = who === 'password-user' ? passwordUser.token : tokenOf(who);
          const res = await send(mutation, vars, token);
          remember(mutation, who, vars, res);
        }),
        { numRuns: runs[mutation], endOnFailure: true, examples: examples()[mutation] ?? [] },
      );
    },
    60_000,
  );

  it('should keep the invariants through random sequences of all mutations', async () => {
    const step = fc.oneof(
      ...(Object.keys(MUTATIONS) as Mutation[])
        .filter((m) => m !== 'changePassword' && m !== 'register' && m !== 'login')
        .map((m) => fc.record({ mutation: fc.constant(m), who: actor, vars: arbitraries[m] })),
    );
    const succeeded = new Set<Mutation>();
    // Room to create jobs again, whatever limits the setUserQuota property left.
    for (const u of [user, other, admin]) await server.gql(MUTATIONS.setUserQuota, { userId: u.id, limitGpuHours: 1e6 }, admin.token);
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 3, maxLength: 12 }), async (steps) => {
        for (const { mutation, who, vars } of steps) {
          const res = await send(mutation, vars, tokenOf(who));
          if (!res.errors?.length) succeeded.add(mutation);
          remember(mutation, who, vars, res);
        }
        await assertInvariants();
      }),
      { numRuns: 25, endOnFailure: true },
    );
    // Not vacuous: jobs really moved through the lifecycle.
    expect([...succeeded].filter((m) => m.endsWith('Job') && m !== 'createJob').length, [...succeeded].join()).toBeGreaterThanOrEqual(1);
  }, 60_000);
});
