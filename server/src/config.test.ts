import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLUSTER_INDEX_VAR, CLUSTER_ROLE_VAR, ConfigError, loadConfig, readClusterMemberEnv } from './config.js';

const CWD = path.resolve('/srv/gpuaas');
const SECRET = 'x'.repeat(32);

/** Loads a configuration from `env` alone, never from the process's own environment. */
const load = (env: Record<string, string | undefined> = {}) => loadConfig(env, CWD);

/** Runs `fn` and returns what it throws, failing the test when it throws nothing. */
function thrownBy(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(Error);
    return error as Error;
  }
  throw new Error('expected an error, but nothing was thrown');
}

describe('loadConfig', () => {
  describe('with an empty environment', () => {
    const config = load();

    it('should listen on port 8000 outside production', () => {
      expect(config.port).toBe(8000);
      expect(config.production).toBe(false);
    });

    it('should start an embedded PostgreSQL in ./.data', () => {
      expect(config.databaseUrl).toBeUndefined();
      expect(config.dataDir).toBe(path.join(CWD, '.data'));
    });

    it('should start with two 8-GPU A100 nodes, one 8-GPU H100 node and two 4-GPU L40S nodes, up to 8 GPUs for up to 72 hours', () => {
      expect(config.inventory).toEqual([
        { gpuType: 'A100', nodes: 2, gpusPerNode: 8 },
        { gpuType: 'H100', nodes: 1, gpusPerNode: 8 },
        { gpuType: 'L40S', nodes: 2, gpusPerNode: 4 },
      ]);
      expect(config.maxGpuCount).toBe(8);
      expect(config.maxHours).toBe(72);
    });

    it('should give users 100 GPU-hours a month', () => {
      expect(config.defaultMonthlyGpuHours).toBe(100);
    });

    it('should simulate 10 s an hour, 80 % success and a 1 s tick, with no seed', () => {
      expect(config.sim).toMatchObject({ secondsPerHour: 10, successRate: 0.8, tickMs: 1000, seed: undefined });
    });

    it('should issue tokens for 12 hours with a key kept in the database', () => {
      expect(config.jwtTtlSeconds).toBe(43_200);
      expect(config.jwtSecret).toBeUndefined();
    });

    it('should hash passwords with bcrypt cost 12', () => {
      expect(config.bcryptCost).toBe(12);
    });

    it('should have no first admin and serve no web app', () => {
      expect(config.adminEmail).toBeUndefined();
      expect(config.adminPassword).toBeUndefined();
      expect(config.webDist).toBeUndefined();
    });
  });

  it('should treat blank values as unset', () => {
    expect(load({ PORT: '  ', DATABASE_URL: '', GPU_TYPES: ' ', GPU_INVENTORY: '' })).toMatchObject({
      port: 8000,
      databaseUrl: undefined,
      inventory: [
        { gpuType: 'A100', nodes: 2, gpusPerNode: 8 },
        { gpuType: 'H100', nodes: 1, gpusPerNode: 8 },
        { gpuType: 'L40S', nodes: 2, gpusPerNode: 4 },
      ],
    });
  });

  it('should read values from the environment it is given', () => {
    const config = load({
      PORT: '0',
      DATABASE_URL: 'postgresql://app:secret@db:5432/gpuaas',
      DATA_DIR: 'var/pg',
      WEB_DIST: '/opt/web',
      MAX_GPU_COUNT: '16',
      MAX_HOURS: '0.5',
      DEFAULT_MONTHLY_GPU_HOURS: '12.5',
      SIM_SECONDS_PER_HOUR: '0.01',
      SIM_SUCCESS_RATE: '1',
      SIM_TICK_MS: '50',
      SIM_SEED: 'seed-1',
      BCRYPT_COST: '10',
    });
    expect(config).toMatchObject({
      port: 0,
      databaseUrl: 'postgresql://app:secret@db:5432/gpuaas',
      dataDir: path.join(CWD, 'var', 'pg'),
      webDist: path.resolve('/opt/web'),
      maxGpuCount: 16,
      maxHours: 0.5,
      defaultMonthlyGpuHours: 12.5,
      sim: { secondsPerHour: 0.01, successRate: 1, tickMs: 50, seed: 'seed-1' },
      bcryptCost: 10,
    });
  });

  describe('WS_TOKEN_RECHECK_MS', () => {
    it('should check open sockets\' tokens every minute unless told otherwise', () => {
      expect(load().limits.socketRecheckMs).toBe(60_000);
      expect(load({ WS_TOKEN_RECHECK_MS: '500' }).limits.socketRecheckMs).toBe(500);
    });

    it.each(['0', '99', '3600001', 'soon'])('should refuse %j with a ConfigError naming WS_TOKEN_RECHECK_MS', (value) => {
      expect(thrownBy(() => load({ WS_TOKEN_RECHECK_MS: value })).message).toMatch(/^WS_TOKEN_RECHECK_MS must be an integer from 100 to 3600000/);
    });
  });

  describe('the scheduler', () => {
    it('should be MANUAL with backfill and no auto-approval, passing every 5 s on a 10 s lease, unless told otherwise', () => {
      expect(load().scheduler).toEqual({
        mode: 'MANUAL', autoApproveMaxGpuHours: 0, backfill: true, intervalMs: 5000, leaseMs: 10_000, planMaxAgeMs: 5000,
      });
      expect(
        load({
          SCHEDULER_MODE: 'auto', AUTO_APPROVE_MAX_GPU_HOURS: '8', SCHEDULER_BACKFILL: 'false', SCHEDULER_INTERVAL_MS: '250',
          SCHEDULER_LEASE_MS: '3000', PLAN_MAX_AGE_MS: '1000',
        }).scheduler,
      ).toEqual({ mode: 'AUTO', autoApproveMaxGpuHours: 8, backfill: false, intervalMs: 250, leaseMs: 3000, planMaxAgeMs: 1000 });
    });

    it.each([
      ['SCHEDULER_MODE', 'SOMETIMES'],
      ['AUTO_APPROVE_MAX_GPU_HOURS', '-1'],
      ['SCHEDULER_BACKFILL', 'perhaps'],
      ['SCHEDULER_LEASE_MS', '50'],
      ['PLAN_MAX_AGE_MS', 'soon'],
    ])('should refuse %s=%j with a ConfigError naming it', (name, value) => {
      const error = thrownBy(() => load({ [name]: value }));
      expect(error).toBeInstanceOf(ConfigError);
      expect(error.message).toMatch(new RegExp(`^${name} `));
    });
  });

  describe('notifications', () => {
    it('should send no e-mail, link to http://localhost:8000 and retry webhooks after 10 s, refusing private targets, unless told otherwise', () => {
      expect(load().notifications).toEqual({
        smtpUrl: undefined,
        smtpFrom: 'gpuaas <gpuaas@localhost>',
        publicUrl: 'http://localhost:8000',
        webhookRetryBaseSeconds: 10,
        webhookAllowPrivate: false,
        webhookTimeoutMs: 10_000,
        pollMs: 250,
        retentionDays: 90,
      });
    });

    it('should read SMTP_URL, SMTP_FROM, PUBLIC_URL and the webhook settings, fractional seconds included', () => {
      const n = load({
        SMTP_URL: 'smtps://user:pw@mail.example.org:465',
        SMTP_FROM: 'GPUs <gpus@example.org>',
        PUBLIC_URL: 'https://gpus.example.org/',
        WEBHOOK_RETRY_BASE_SECONDS: '0.2',
        WEBHOOK_ALLOW_PRIVATE: 'true',
      }).notifications;
      expect(n).toMatchObject({ smtpUrl: 'smtps://user:pw@mail.example.org:465', smtpFrom: 'GPUs <gpus@example.org>', publicUrl: 'https://gpus.example.org' });
      expect(n.webhookRetryBaseSeconds).toBe(0.2);
      expect(n.webhookAllowPrivate).toBe(true);
    });

    it('should refuse a bad SMTP_URL without echoing its password, and a bad PUBLIC_URL', () => {
      const smtp = thrownBy(() => load({ SMTP_URL: 'http://user:secret@mail.example.org' }));
      expect(smtp.message).toMatch(/^SMTP_URL must be an smtp:\/\/ or smtps:\/\/ URL/);
      expect(smtp.message).not.toContain('secret');
      expect(thrownBy(() => load({ PUBLIC_URL: 'gpus.example.org' })).message).toMatch(/^PUBLIC_URL must be/);
      expect(thrownBy(() => load({ WEBHOOK_RETRY_BASE_SECONDS: '0' })).message).toMatch(/^WEBHOOK_RETRY_BASE_SECONDS must be/);
    });
  });

  describe('API_PROCESSES', () => {
    it('should run one API process unless told otherwise', () => {
      expect(load().apiProcesses).toBe(1);
      expect(load({ API_PROCESSES: '3' }).apiProcesses).toBe(3);
    });

    it('should run one per core for auto', () => {
      expect(load({ API_PROCESSES: 'auto' }).apiProcesses).toBe(Math.min(64, os.availableParallelism()));
      expect(load({ API_PROCESSES: 'AUTO' }).apiProcesses).toBe(Math.min(64, os.availableParallelism()));
    });

    it.each(['0', '65', '1.5', 'many', '-2'])('should refuse %j with a ConfigError naming API_PROCESSES and auto', (value) => {
      const error = thrownBy(() => load({ API_PROCESSES: value }));
      expect(error).toBeInstanceOf(ConfigError);
      expect(error.message).toBe(`API_PROCESSES must be an integer from 1 to 64, or auto (one per core) (got ${JSON.stringify(value)})`);
    });
  });

  describe('PORT', () => {
    it.each(['abc', '70000', '-1', '80.5', '8000x'])('should refuse %j with a ConfigError naming PORT', (value) => {
      const error = thrownBy(() => load({ PORT: value }));
      expect(error).toBeInstanceOf(ConfigError);
      expect(error.message).toMatch(/^PORT /);
      expect(error.message).toContain(value);
    });
  });

  describe('DATABASE_URL', () => {
    it('should accept postgres:// and postgresql:// URLs', () => {
      expect(load({ DATABASE_URL: 'postgres://localhost/gpuaas' }).databaseUrl).toBe('postgres://localhost/gpuaas');
      expect(load({ DATABASE_URL: 'postgresql://localhost/gpuaas' }).databaseUrl).toBe('postgresql://localhost/gpuaas');
    });

    it.each(['not a url', 'mysql://x', 'http://localhost/gpuaas', 'localhost:5432'])(
      'should refuse %j with a ConfigError naming DATABASE_URL',
      (value) => {
        const error = thrownBy(() => load({ DATABASE_URL: value }));
        expect(error).toBeInstanceOf(ConfigError);
        expect(error.message).toMatch(/^DATABASE_URL /);
      },
    );

    it.each([
      'postgres://app:hunter2secret@db:notaport/gpuaas',
      'mysql://app:hunter2secret@db/gpuaas',
      'postgres://app:hunter2secret@db:99999/gpuaas',
      'postgres://app:hunter2secret@[db/gpuaas',
      // Generated (base64) passwords often hold a slash; unencoded, it makes the URL malformed.
      'postgres://app:hunter2/secret@db:5432/gpuaas',
    ])('should never echo the password of %j', (value) => {
      const error = thrownBy(() => load({ DATABASE_URL: value }));
      expect(error.message).toMatch(/^DATABASE_URL /);
      expect(error.message).not.toContain('hunter2');
      expect(error.message).not.toContain('secret');
    });
  });

  describe('JWT_SECRET', () => {
    it('should be required in production', () => {
      expect(() => load({ NODE_ENV: 'production' })).toThrow(/JWT_SECRET/);
    });

    it('should be read in production when set', () => {
      const config = load({ NODE_ENV: 'production', JWT_SECRET: SECRET });
      expect(config.production).toBe(true);
      expect(config.jwtSecret).toBe(SECRET);
    });

    it('should be at least 32 characters long, and never echoed', () => {
      const short = 'tooshort-but-secret';
      const error = thrownBy(() => load({ JWT_SECRET: short }));
      expect(error).toBeInstanceOf(ConfigError);
      expect(error.message).toMatch(/^JWT_SECRET /);
      expect(error.message).not.toContain(short);
      expect(() => load({ JWT_SECRET: 'y'.repeat(31) })).toThrow(/JWT_SECRET/);
    });
  });

  describe('ADMIN_EMAIL and ADMIN_PASSWORD', () => {
    it('should be read together', () => {
      const config = load({ ADMIN_EMAIL: 'root@example.org', ADMIN_PASSWORD: 'correct horse battery' });
      expect(config.adminEmail).toBe('root@example.org');
      expect(config.adminPassword).toBe('correct horse battery');
    });

    it('should refuse an email without a password', () => {
      expect(() => load({ ADMIN_EMAIL: 'root@example.org' })).toThrow(/ADMIN_PASSWORD/);
    });

    it('should refuse a password without an email, and never echo it', () => {
      const error = thrownBy(() => load({ ADMIN_PASSWORD: 'correct horse battery' }));
      expect(error.message).toMatch(/ADMIN_EMAIL/);
      expect(error.message).not.toContain('correct horse battery');
    });
  });

  describe('JWT_TTL', () => {
    it.each([
      ['90', 90],
      ['90s', 90],
      ['30m', 1800],
      ['12h', 43_200],
      ['7d', 604_800],
    ])('should read %j as %d seconds', (value, seconds) => {
      expect(load({ JWT_TTL: value }).jwtTtlSeconds).toBe(seconds);
    });

    it.each(['abc', '0', '-5m', '1.5h', '10w', 'm'])('should refuse %j with a ConfigError naming JWT_TTL', (value) => {
      const error = thrownBy(() => load({ JWT_TTL: value }));
      expect(error).toBeInstanceOf(ConfigError);
      expect(error.message).toMatch(/^JWT_TTL /);
    });
  });

  describe('GPU_BILLING_WEIGHTS', () => {
    it('should weigh every type 1 when unset or empty', () => {
      expect(load({}).billingWeights).toEqual([]);
      expect(load({ GPU_BILLING_WEIGHTS: ' ' }).billingWeights).toEqual([]);
    });

    it('should read TYPE:WEIGHT pairs', () => {
      expect(load({ GPU_BILLING_WEIGHTS: ' H100:2 , A100:1,L40S:0.5,b200:3.1234 ' }).billingWeights).toEqual([
        { gpuType: 'H100', weight: 2 },
        { gpuType: 'A100', weight: 1 },
        { gpuType: 'L40S', weight: 0.5 },
        { gpuType: 'b200', weight: 3.1234 },
      ]);
    });

    it.each(['H100', 'H100:', 'H100:0', 'H100:-1', 'H100:two', 'H100:1.23456', 'H100:1001', 'H100=2', 'H100:2;A100:1', 'H100:2,h100:3', 'H100:1e3'])(
      'should refuse %j with a ConfigError naming GPU_BILLING_WEIGHTS',
      (value) => {
        const error = thrownBy(() => load({ GPU_BILLING_WEIGHTS: value }));
        expect(error).toBeInstanceOf(ConfigError);
        expect(error.message).toMatch(/^GPU_BILLING_WEIGHTS must be /);
      },
    );
  });

  describe('GPU_INVENTORY', () => {
    it('should read nodes × GPUs per node for each type', () => {
      expect(load({ GPU_INVENTORY: ' H100:4x8 , B200:1x8,MI300X:2x4 ' }).inventory).toEqual([
        { gpuType: 'H100', nodes: 4, gpusPerNode: 8 },
        { gpuType: 'B200', nodes: 1, gpusPerNode: 8 },
        { gpuType: 'MI300X', nodes: 2, gpusPerNode: 4 },
      ]);
    });

    it('should add up a type named twice with one size, and keep its first spelling', () => {
      expect(load({ GPU_INVENTORY: 'A100:1x8,a100:2x8,A100:1x4' }).inventory).toEqual([
        { gpuType: 'A100', nodes: 3, gpusPerNode: 8 },
        { gpuType: 'A100', nodes: 1, gpusPerNode: 4 },
      ]);
    });

    it.each([',,', 'A100', 'A100:2', 'A100:0x8', 'A100:2x65', 'A100:2x0', 'A 100:1x8', 'H100:1x8;A100:1x8', 'A100:1001x8'])(
      'should refuse %j with a ConfigError naming GPU_INVENTORY',
      (value) => {
        const error = thrownBy(() => load({ GPU_INVENTORY: value }));
        expect(error).toBeInstanceOf(ConfigError);
        expect(error.message).toMatch(/^GPU_INVENTORY must be /);
      },
    );

    it('should refuse to start with GPU_TYPES set, naming GPU_INVENTORY', () => {
      const error = thrownBy(() => load({ GPU_TYPES: 'A100,H100' }));
      expect(error).toBeInstanceOf(ConfigError);
      expect(error.message).toMatch(/^GPU_TYPES .*GPU_INVENTORY/);
    });
  });

  describe('numeric limits', () => {
    it.each([
      ['SIM_SUCCESS_RATE', '1.5'],
      ['SIM_SUCCESS_RATE', '-0.1'],
      ['SIM_SECONDS_PER_HOUR', '0'],
      ['SIM_TICK_MS', '2.5'],
      ['MAX_GPU_COUNT', '0'],
      ['MAX_GPU_COUNT', '2.5'],
      ['MAX_HOURS', '0'],
      ['DEFAULT_MONTHLY_GPU_HOURS', '-1'],
      ['DEFAULT_MONTHLY_GPU_HOURS', 'NaN'],
      ['BCRYPT_COST', '4'],
      ['BCRYPT_COST', 'Infinity'],
    ])('should refuse %s=%j with a ConfigError naming it', (name, value) => {
      const error = thrownBy(() => load({ [name]: value }));
      expect(error).toBeInstanceOf(ConfigError);
      expect(error.message).toMatch(new RegExp(`^${name} `));
    });
  });
});

describe('readClusterMemberEnv', () => {
  it('should read the role and number the primary set', () => {
    expect(readClusterMemberEnv({ [CLUSTER_ROLE_VAR]: 'all', [CLUSTER_INDEX_VAR]: '3' })).toEqual({ role: 'all', index: 3 });
  });

  it('should answer null in a process no primary started', () => {
    expect(readClusterMemberEnv({})).toBeNull();
  });
});
