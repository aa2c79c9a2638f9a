import os from 'node:os';
import path from 'node:path';
import { LOG_LEVELS, type LogLevel } from './logger.js';

/** Which parts of the product one process runs. */
export type ProcessRole = 'all' | 'api' | 'worker';

/** Simulator settings (the README's "Simulator" paragraph, under "Architecture"). */
export interface SimulatorConfig {
  /** Real seconds that one simulated hour lasts. */
  secondsPerHour: number;
  /** Probability that a started job completes rather than fails. */
  successRate: number;
  /** Milliseconds between two progress steps of a running job. */
  tickMs: number;
  /** Seed for reproducible draws; undefined draws from the system's randomness. */
  seed: string | undefined;
  /** How long a worker's claim on a running job lasts without renewal; then another worker takes it. */
  leaseMs: number;
  /** Most jobs one worker claims in one tick. */
  claimBatch: number;
}

/** Scheduler settings (SPEC §8). The first three seed the settings an admin then changes live. */
export interface SchedulerConfig {
  /** `SCHEDULER_MODE`: MANUAL (admins start jobs) or AUTO (the scheduler does). */
  mode: 'MANUAL' | 'AUTO';
  /** `AUTO_APPROVE_MAX_GPU_HOURS`: jobs costing at most this are approved at submission; 0 = off. */
  autoApproveMaxGpuHours: number;
  /** `SCHEDULER_BACKFILL`: EASY backfill on or off. */
  backfill: boolean;
  /** `SCHEDULER_INTERVAL_MS`: a scheduling pass at least this often, besides the wake-ups on changes. */
  intervalMs: number;
  /** `SCHEDULER_LEASE_MS`: how long the acting scheduler's lease lasts unrenewed; then another worker takes over. */
  leaseMs: number;
  /** `PLAN_MAX_AGE_MS`: estimates are re-planned at least this often even when nothing changed. */
  planMaxAgeMs: number;
}

/** Notification delivery settings (SPEC §9; the README's "Notifications"). */
export interface NotificationsConfig {
  /** `SMTP_URL`: where e-mail goes (`smtp://user:pass@host:587`, `smtps://…`); undefined sends none. */
  smtpUrl: string | undefined;
  /** `SMTP_FROM`: the sender of notification e-mails. */
  smtpFrom: string;
  /** `PUBLIC_URL`: the web app's address, for links in e-mails and webhook bodies (no trailing slash). */
  publicUrl: string;
  /** `WEBHOOK_RETRY_BASE_SECONDS`: the first retry's delay; each later one doubles it. */
  webhookRetryBaseSeconds: number;
  /** `WEBHOOK_ALLOW_PRIVATE`: allow webhook URLs that resolve to loopback, private or link-local addresses. */
  webhookAllowPrivate: boolean;
  /** `WEBHOOK_TIMEOUT_MS`: how long one delivery may take before it counts as failed. */
  webhookTimeoutMs: number;
  /** `NOTIFICATION_POLL_MS`: how often a worker looks for new events and due deliveries. */
  pollMs: number;
  /**
   * `NOTIFICATION_RETENTION_DAYS`: in-app notifications, and outbox rows delivered or given up,
   * older than this are deleted; 0 keeps them for ever.
   */
  retentionDays: number;
}

/** One line of GPU_INVENTORY: `nodes` nodes of `gpusPerNode` GPUs of `gpuType`. */
export interface InventoryEntry {
  gpuType: string;
  nodes: number;
  gpusPerNode: number;
}

/** One entry of GPU_BILLING_WEIGHTS: a job on `gpuType` reserves and is charged `weight` × its GPU-hours. */
export interface BillingWeight {
  gpuType: string;
  weight: number;
}

/** Limits that keep one client from exhausting the server. */
export interface LimitsConfig {
  /** Sliding-window size for login and registration attempts, in seconds. */
  authWindowSeconds: number;
  /** Failed logins for one account within the window. */
  loginPerAccount: number;
  /** Login and registration attempts from one client address within the window. */
  authPerAddress: number;
  /** Open WebSocket connections of one user (per API process). */
  socketsPerUser: number;
  /** Active subscriptions on one WebSocket connection. */
  subscriptionsPerSocket: number;
  /**
   * How often open sockets' tokens are checked against their users' current token versions, in
   * ms: the fallback that closes a revoked user's sockets when the announcement was lost.
   */
  socketRecheckMs: number;
}

/** The whole typed configuration of a gpuaas process. */
export interface Config {
  production: boolean;
  port: number;
  /** PostgreSQL URL; undefined starts an embedded PostgreSQL in `dataDir`. */
  databaseUrl: string | undefined;
  /** Where the embedded PostgreSQL keeps its files. */
  dataDir: string;
  /** HS256 key; undefined (outside production) uses a key generated once and kept in the database. */
  jwtSecret: string | undefined;
  /** Lifetime of an issued token, in seconds. */
  jwtTtlSeconds: number;
  /** bcrypt work factor. */
  bcryptCost: number;
  adminEmail: string | undefined;
  adminPassword: string | undefined;
  defaultMonthlyGpuHours: number;
  /** The first inventory, created at first start (`GPU_INVENTORY`); then admins manage it. */
  inventory: readonly InventoryEntry[];
  maxGpuCount: number;
  maxHours: number;
  /**
   * `GPU_BILLING_WEIGHTS`: the weight of each GPU type named there (types compared without case);
   * every other type weighs 1. Stored on each job at submission.
   */
  billingWeights: readonly BillingWeight[];
  sim: SimulatorConfig;
  scheduler: SchedulerConfig;
  /**
   * `AUTH_CACHE_MS`: how long a process trusts what it read of a token's user (its role and token
   * version) without reading it again; revocations announced by any process drop it at once.
   * 0 reads the user on every request.
   */
  authCacheMs: number;
  /** Fallback interval at which the event relay looks for new events without a wake-up. */
  eventPollMs: number;
  /**
   * Whether changes are announced (post-commit NOTIFY) and relayed to subscribers. Off only to
   * measure the event path's cost: job_events rows are written either way.
   */
  eventsEnabled: boolean;
  logLevel: LogLevel;
  /** A second key still accepted for verification, while tokens signed with it expire (rotation). */
  jwtPreviousSecret: string | undefined;
  /** Origins allowed to call the API from a browser on another origin; none by default. */
  corsOrigins: readonly string[];
  /** Whether introspection and GraphiQL are served. */
  introspection: boolean;
  /** `GRAPHQL_JIT`: HTTP operations run compiled by graphql-jit (true) or interpreted by graphql-js. */
  graphqlJit: boolean;
  /**
   * `GRAPHQL_FAST_PATH`: plain HTTP operations of validated documents are answered without
   * Apollo's request pipeline (true), or every request goes through it (false).
   */
  graphqlFastPath: boolean;
  /** Express's `trust proxy` setting: whether X-Forwarded-For names the client. */
  trustProxy: boolean | number | string;
  limits: LimitsConfig;
  notifications: NotificationsConfig;
  /**
   * Directory of the built web app served at `/` (when it holds an `index.html`); undefined
   * serves the repository's `web/dist`.
   */
  webDist: string | undefined;
  /**
   * API processes this command runs, sharing one port: 1, or more to use more than one core of
   * the machine (`API_PROCESSES=auto`: one per core). See `cluster.ts`.
   */
  apiProcesses: number;
}

/** A configuration value that cannot be used; the message names the variable and what is expected. */
export class ConfigError extends Error {
  constructor(variable: string, expected: string, got: string) {
    super(got === '' ? `${variable} must be ${expected}` : `${variable} must be ${expected} (got ${JSON.stringify(got)})`);
    this.name = 'ConfigError';
  }
}

type Env = Readonly<Record<string, string | undefined>>;

function readString(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

function readNumber(
  env: Env,
  name: string,
  fallback: number,
  { min, max, integer = false }: { min: number; max: number; integer?: boolean },
): number {
  const raw = readString(env, name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  const kind = integer ? 'an integer' : 'a number';
  if (!Number.isFinite(value) || (integer && !Number.isInteger(value)) || value < min || value > max) {
    throw new ConfigError(name, `${kind} from ${min} to ${max}`, raw);
  }
  return value;
}

/** Parses a duration such as `3600`, `90s`, `30m`, `12h` or `7d` into seconds. */
function readDuration(env: Env, name: string, fallbackSeconds: number): number {
  const raw = readString(env, name);
  if (raw === undefined) return fallbackSeconds;
  const match = /^(\d+)\s*([smhd]?)$/.exec(raw);
  const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86400 } as const;
  if (!match || Number(match[1]) <= 0) {
    throw new ConfigError(name, 'a positive duration such as 3600, 30m, 12h or 7d', raw);
  }
  return Number(match[1]) * unit[match[2] as keyof typeof unit];
}

function readBoolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = readString(env, name)?.toLowerCase();
  if (raw === undefined) return fallback;
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
  if (['0', 'false', 'no', 'off'].includes(raw)) return false;
  throw new ConfigError(name, 'true or false', raw);
}

function readTrustProxy(env: Env): boolean | number | string {
  const raw = readString(env, 'TRUST_PROXY');
  if (raw === undefined) return false;
  if (/^\d+$/.test(raw)) return Number(raw);
  if (['true', 'false'].includes(raw.toLowerCase())) return raw.toLowerCase() === 'true';
  if (!/^[0-9a-fA-F.:/, a-z]+$/.test(raw)) {
    throw new ConfigError('TRUST_PROXY', 'true, false, a hop count, or a list of proxy addresses/subnets', raw);
  }
  return raw;
}

function readOrigins(env: Env): string[] {
  const raw = readString(env, 'CORS_ORIGINS');
  if (raw === undefined) return [];
  return raw.split(',').map((origin) => {
    const o = origin.trim();
    let url: URL | undefined;
    try {
      url = new URL(o);
    } catch {
      url = undefined;
    }
    if (!url || !['http:', 'https:'].includes(url.protocol) || url.origin !== o) {
      throw new ConfigError('CORS_ORIGINS', 'a comma-separated list of origins such as https://portal.example.org', o);
    }
    return o;
  });
}

function readDatabaseUrl(env: Env): string | undefined {
  const raw = readString(env, 'DATABASE_URL');
  if (raw === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    // Never echo credentials: mask everything between the scheme and the last '@'.
    throw new ConfigError('DATABASE_URL', 'a postgres:// or postgresql:// URL', raw.replace(/\/\/.*@/, '//***@'));
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new ConfigError('DATABASE_URL', 'a postgres:// or postgresql:// URL', `${url.protocol}…`);
  }
  return raw;
}

/**
 * Reads the configuration from an environment (by default the process's own) and validates it.
 * This module is the only place in the server that reads `process.env` (here and in
 * `readClusterMemberEnv`).
 *
 * @throws ConfigError naming the first variable whose value cannot be used.
 */
export function loadConfig(env: Env = process.env, cwd: string = process.cwd()): Config {
  const production = env.NODE_ENV === 'production';
  const jwtSecret = readString(env, 'JWT_SECRET');
  if (production && jwtSecret === undefined) {
    throw new ConfigError('JWT_SECRET', 'set when NODE_ENV=production (a random string of at least 32 characters)', '');
  }
  if (jwtSecret !== undefined && jwtSecret.length < 32) {
    throw new ConfigError('JWT_SECRET', 'at least 32 characters long', '<hidden>');
  }

  const adminEmail = readString(env, 'ADMIN_EMAIL');
  const adminPassword = readString(env, 'ADMIN_PASSWORD');
  if ((adminEmail === undefined) !== (adminPassword === undefined)) {
    throw new ConfigError(adminEmail === undefined ? 'ADMIN_EMAIL' : 'ADMIN_PASSWORD', 'set together with the other of ADMIN_EMAIL and ADMIN_PASSWORD', '');
  }

  if (readString(env, 'GPU_TYPES') !== undefined) {
    throw new ConfigError('GPU_TYPES', 'unset: the GPUs are now described by GPU_INVENTORY (e.g. A100:2x8,H100:1x8: nodes × GPUs per node)', '');
  }
  const inventory = readInventory(env);

  const webDist = readString(env, 'WEB_DIST');
  const logLevel = (readString(env, 'LOG_LEVEL') ?? 'info').toLowerCase();
  if (!LOG_LEVELS.includes(logLevel as LogLevel)) throw new ConfigError('LOG_LEVEL', `one of ${LOG_LEVELS.join(', ')}`, logLevel);
  return {
    production,
    port: readNumber(env, 'PORT', 8000, { min: 0, max: 65535, integer: true }),
    databaseUrl: readDatabaseUrl(env),
    dataDir: path.resolve(cwd, readString(env, 'DATA_DIR') ?? '.data'),
    jwtSecret,
    jwtTtlSeconds: readDuration(env, 'JWT_TTL', 12 * 3600),
    bcryptCost: readNumber(env, 'BCRYPT_COST', 12, { min: 10, max: 15, integer: true }),
    adminEmail,
    adminPassword,
    defaultMonthlyGpuHours: readNumber(env, 'DEFAULT_MONTHLY_GPU_HOURS', 100, { min: 0, max: 1e7 }),
    inventory,
    maxGpuCount: readNumber(env, 'MAX_GPU_COUNT', 8, { min: 1, max: 1024, integer: true }),
    maxHours: readNumber(env, 'MAX_HOURS', 72, { min: 0.01, max: 8760 }),
    billingWeights: readBillingWeights(env),
    sim: {
      secondsPerHour: readNumber(env, 'SIM_SECONDS_PER_HOUR', 10, { min: 0.001, max: 3600 }),
      successRate: readNumber(env, 'SIM_SUCCESS_RATE', 0.8, { min: 0, max: 1 }),
      tickMs: readNumber(env, 'SIM_TICK_MS', 1000, { min: 10, max: 3_600_000, integer: true }),
      seed: readString(env, 'SIM_SEED'),
      leaseMs: readNumber(env, 'WORKER_LEASE_MS', 10_000, { min: 100, max: 3_600_000, integer: true }),
      claimBatch: readNumber(env, 'WORKER_CLAIM_BATCH', 1000, { min: 1, max: 100_000, integer: true }),
    },
    scheduler: readScheduler(env),
    authCacheMs: readNumber(env, 'AUTH_CACHE_MS', 5000, { min: 0, max: 60_000, integer: true }),
    eventPollMs: readNumber(env, 'EVENT_POLL_MS', 250, { min: 10, max: 60_000, integer: true }),
    eventsEnabled: readBoolean(env, 'EVENTS_ENABLED', true),
    logLevel: logLevel as LogLevel,
    jwtPreviousSecret: readString(env, 'JWT_PREVIOUS_SECRET'),
    corsOrigins: readOrigins(env),
    introspection: readBoolean(env, 'GRAPHQL_INTROSPECTION', true),
    graphqlJit: readBoolean(env, 'GRAPHQL_JIT', true),
    graphqlFastPath: readBoolean(env, 'GRAPHQL_FAST_PATH', true),
    trustProxy: readTrustProxy(env),
    limits: {
      authWindowSeconds: readNumber(env, 'AUTH_RATE_WINDOW_SECONDS', 900, { min: 1, max: 86_400, integer: true }),
      loginPerAccount: readNumber(env, 'LOGIN_RATE_LIMIT_PER_ACCOUNT', 10, { min: 1, max: 100_000, integer: true }),
      authPerAddress: readNumber(env, 'AUTH_RATE_LIMIT_PER_ADDRESS', 50, { min: 1, max: 100_000, integer: true }),
      socketsPerUser: readNumber(env, 'WS_CONNECTIONS_PER_USER', 20, { min: 1, max: 10_000, integer: true }),
      subscriptionsPerSocket: readNumber(env, 'WS_SUBSCRIPTIONS_PER_CONNECTION', 10, { min: 1, max: 1000, integer: true }),
      socketRecheckMs: readNumber(env, 'WS_TOKEN_RECHECK_MS', 60_000, { min: 100, max: 3_600_000, integer: true }),
    },
    notifications: readNotifications(env),
    webDist: webDist === undefined ? undefined : path.resolve(cwd, webDist),
    apiProcesses: readApiProcesses(env),
  };
}

/** Set by the primary in each API process it forks (see `cluster.ts`): the process's role. */
export const CLUSTER_ROLE_VAR = 'GPUAAS_CLUSTER_ROLE';
/** Set by the primary in each API process it forks: the process's number, from 0. */
export const CLUSTER_INDEX_VAR = 'GPUAAS_CLUSTER_INDEX';

/** A forked API process's place in its cluster, as its primary set it in its environment. */
export interface ClusterMemberEnv {
  role: ProcessRole;
  index: number;
}

/**
 * Reads what the primary of `cluster.ts` set for a process it forked; null in a process no
 * primary started. Kept apart from `loadConfig`: these are not settings an operator sets.
 */
export function readClusterMemberEnv(env: Env = process.env): ClusterMemberEnv | null {
  const role = readString(env, CLUSTER_ROLE_VAR);
  if (role === undefined) return null;
  return { role: role as ProcessRole, index: Number(readString(env, CLUSTER_INDEX_VAR) ?? 0) };
}

function readScheduler(env: Env): SchedulerConfig {
  const mode = (readString(env, 'SCHEDULER_MODE') ?? 'MANUAL').toUpperCase();
  if (mode !== 'MANUAL' && mode !== 'AUTO') throw new ConfigError('SCHEDULER_MODE', 'MANUAL or AUTO', mode);
  return {
    mode,
    autoApproveMaxGpuHours: readNumber(env, 'AUTO_APPROVE_MAX_GPU_HOURS', 0, { min: 0, max: 1e7 }),
    backfill: readBoolean(env, 'SCHEDULER_BACKFILL', true),
    intervalMs: readNumber(env, 'SCHEDULER_INTERVAL_MS', 5000, { min: 10, max: 3_600_000, integer: true }),
    leaseMs: readNumber(env, 'SCHEDULER_LEASE_MS', 10_000, { min: 100, max: 3_600_000, integer: true }),
    planMaxAgeMs: readNumber(env, 'PLAN_MAX_AGE_MS', 5000, { min: 100, max: 3_600_000, integer: true }),
  };
}

/** SMTP_URL, SMTP_FROM, PUBLIC_URL and the webhook settings. */
function readNotifications(env: Env): NotificationsConfig {
  const smtpUrl = readString(env, 'SMTP_URL');
  if (smtpUrl !== undefined) {
    let protocol: string;
    try {
      protocol = new URL(smtpUrl).protocol;
    } catch {
      protocol = '';
    }
    // Never echo credentials: mask everything between the scheme and the last '@'.
    if (protocol !== 'smtp:' && protocol !== 'smtps:') {
      throw new ConfigError('SMTP_URL', 'an smtp:// or smtps:// URL', smtpUrl.replace(/\/\/.*@/, '//***@'));
    }
  }
  const rawPublic = readString(env, 'PUBLIC_URL') ?? 'http://localhost:8000';
  let publicUrl: URL | undefined;
  try {
    publicUrl = new URL(rawPublic);
  } catch {
    publicUrl = undefined;
  }
  if (!publicUrl || !['http:', 'https:'].includes(publicUrl.protocol)) {
    throw new ConfigError('PUBLIC_URL', 'an http:// or https:// URL such as https://gpus.example.org', rawPublic);
  }
  return {
    smtpUrl,
    smtpFrom: readString(env, 'SMTP_FROM') ?? 'gpuaas <gpuaas@localhost>',
    publicUrl: publicUrl.toString().replace(/\/+$/, ''),
    webhookRetryBaseSeconds: readNumber(env, 'WEBHOOK_RETRY_BASE_SECONDS', 10, { min: 0.01, max: 86_400 }),
    webhookAllowPrivate: readBoolean(env, 'WEBHOOK_ALLOW_PRIVATE', false),
    webhookTimeoutMs: readNumber(env, 'WEBHOOK_TIMEOUT_MS', 10_000, { min: 100, max: 120_000, integer: true }),
    pollMs: readNumber(env, 'NOTIFICATION_POLL_MS', 250, { min: 10, max: 60_000, integer: true }),
    retentionDays: readNumber(env, 'NOTIFICATION_RETENTION_DAYS', 90, { min: 0, max: 36_500 }),
  };
}

/** API_PROCESSES: a count from 1 to 64, or `auto` for one per core. */
function readApiProcesses(env: Env): number {
  const raw = readString(env, 'API_PROCESSES');
  if (raw?.toLowerCase() === 'auto') return Math.min(64, os.availableParallelism());
  try {
    return readNumber(env, 'API_PROCESSES', 1, { min: 1, max: 64, integer: true });
  } catch {
    throw new ConfigError('API_PROCESSES', 'an integer from 1 to 64, or auto (one per core)', raw ?? '');
  }
}

/**
 * GPU_INVENTORY: comma-separated `TYPE:NODESxGPUS` (default `A100:2x8,H100:1x8,L40S:2x4`). A type
 * named twice adds up its nodes; types differing only in case are one type (the first spelling).
 */
function readInventory(env: Env): InventoryEntry[] {
  const raw = readString(env, 'GPU_INVENTORY') ?? 'A100:2x8,H100:1x8,L40S:2x4';
  const expected = 'a comma-separated list of TYPE:NODESxGPUS, e.g. A100:2x8,H100:1x8 (1–1000 nodes of 1–64 GPUs)';
  const entries: InventoryEntry[] = [];
  for (const part of raw.split(',').map((p) => p.trim()).filter((p) => p !== '')) {
    const match = /^([A-Za-z0-9][A-Za-z0-9_.-]{0,31}):(\d{1,4})x(\d{1,2})$/i.exec(part);
    const nodes = Number(match?.[2]);
    const gpusPerNode = Number(match?.[3]);
    if (!match || nodes < 1 || nodes > 1000 || gpusPerNode < 1 || gpusPerNode > 64) throw new ConfigError('GPU_INVENTORY', expected, raw);
    const same = entries.find((e) => e.gpuType.toLowerCase() === match[1]!.toLowerCase() && e.gpusPerNode === gpusPerNode);
    const gpuType = entries.find((e) => e.gpuType.toLowerCase() === match[1]!.toLowerCase())?.gpuType ?? match[1]!;
    if (same) same.nodes += nodes;
    else entries.push({ gpuType, nodes, gpusPerNode });
  }
  if (entries.length === 0) throw new ConfigError('GPU_INVENTORY', expected, raw);
  return entries;
}

/** The largest billing weight a GPU type may have. */
export const MAX_BILLING_WEIGHT = 1000;

/**
 * GPU_BILLING_WEIGHTS: comma-separated `TYPE:WEIGHT` (e.g. `H100:2,A100:1,L40S:0.5`), each weight
 * greater than 0 and at most MAX_BILLING_WEIGHT with at most four decimals (GPU-hours are kept to
 * four). Unset or empty: every type weighs 1. A type named twice is refused: which one would win
 * is not obvious.
 */
function readBillingWeights(env: Env): BillingWeight[] {
  const raw = readString(env, 'GPU_BILLING_WEIGHTS');
  if (raw === undefined) return [];
  const expected = `a comma-separated list of TYPE:WEIGHT, e.g. H100:2,A100:1,L40S:0.5 (weights above 0, at most ${MAX_BILLING_WEIGHT}, up to 4 decimals)`;
  const weights: BillingWeight[] = [];
  for (const part of raw.split(',').map((p) => p.trim()).filter((p) => p !== '')) {
    const match = /^([A-Za-z0-9][A-Za-z0-9_.-]{0,31}):(\d{1,4}(?:\.\d{1,4})?)$/.exec(part);
    const weight = Number(match?.[2]);
    if (!match || !(weight > 0) || weight > MAX_BILLING_WEIGHT) throw new ConfigError('GPU_BILLING_WEIGHTS', expected, raw);
    if (weights.some((w) => w.gpuType.toLowerCase() === match[1]!.toLowerCase())) {
      throw new ConfigError('GPU_BILLING_WEIGHTS', `${expected}, each type once`, raw);
    }
    weights.push({ gpuType: match[1]!, weight });
  }
  return weights;
}
