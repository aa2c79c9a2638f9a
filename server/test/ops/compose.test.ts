/**
 * The deployment files: docker-compose.yml, the Dockerfile and .env.example, read as a reviewer
 * would. They describe a PostgreSQL 16 with a persistent volume, a one-shot migration, an API and
 * a scalable simulator, with no secret that has a default and a non-root image that stops cleanly.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** The parts of a compose service these tests read. */
interface Service {
  image?: string;
  build?: unknown;
  command?: string | string[];
  environment?: Record<string, string | number | boolean | null> | string[];
  volumes?: (string | { type?: string; source?: string; target?: string })[];
  ports?: (string | number | { target?: number | string; published?: number | string })[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: { test?: string | string[]; disable?: boolean };
  container_name?: string;
}

interface ComposeFile {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

const SECRETS = ['POSTGRES_PASSWORD', 'JWT_SECRET'];

function read(file: string): string {
  return readFileSync(path.join(ROOT, file), 'utf8');
}

/** A command or healthcheck test as one string (exec-form arrays joined by spaces). */
function words(value: string | string[] | undefined): string {
  return Array.isArray(value) ? value.join(' ') : (value ?? '');
}

/** A service's environment as name → value, whichever of the two compose forms it uses. */
function environment(service: Service): Record<string, string> {
  const env = service.environment ?? {};
  if (Array.isArray(env)) {
    return Object.fromEntries(env.map((entry) => {
      const eq = entry.indexOf('=');
      return eq < 0 ? [entry, ''] : [entry.slice(0, eq), entry.slice(eq + 1)];
    }));
  }
  return Object.fromEntries(Object.entries(env).map(([name, value]) => [name, value == null ? '' : String(value)]));
}

/** The condition a service waits for on `dependency`; undefined when it does not depend on it. */
function dependsOn(service: Service, dependency: string): string | undefined {
  const deps = service.depends_on;
  if (deps === undefined) return undefined;
  if (Array.isArray(deps)) return deps.includes(dependency) ? 'service_started' : undefined;
  const entry = deps[dependency];
  return entry === undefined ? undefined : (entry.condition ?? 'service_started');
}

/** The Dockerfile's instructions, continuation lines joined and comments dropped. */
function dockerInstructions(text: string): { keyword: string; args: string }[] {
  return text
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const [keyword = '', ...rest] = line.split(/\s+/);
      return { keyword: keyword.toUpperCase(), args: rest.join(' ') };
    });
}

describe('docker-compose.yml', () => {
  let raw: string;
  let compose: ComposeFile;
  let services: Record<string, Service>;

  beforeAll(() => {
    raw = read('docker-compose.yml');
    compose = parse(raw) as ComposeFile;
    services = compose.services;
  });

  it('should define the db, migrate, api and worker services', () => {
    expect(Object.keys(services)).toEqual(expect.arrayContaining(['db', 'migrate', 'api', 'worker']));
  });

  it('should run PostgreSQL 16 with its data on a named volume and a healthcheck', () => {
    const db = services.db!;
    expect(db.image).toBe('postgres:16');
    const dataMount = (db.volumes ?? [])
      .map((v) => (typeof v === 'string' ? { source: v.split(':')[0], target: v.split(':')[1] } : v))
      .find((v) => v.target === '/var/lib/postgresql/data');
    expect(dataMount, 'a volume mounted at /var/lib/postgresql/data').toBeDefined();
    // A named volume, declared at the top level: not a bind mount of a host path.
    expect(dataMount!.source).toMatch(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/);
    expect(Object.keys(compose.volumes ?? {})).toContain(dataMount!.source);
    expect(words(db.healthcheck?.test)).not.toBe('');
    expect(db.healthcheck?.disable).not.toBe(true);
  });

  it('should run the migrations once the database is healthy', () => {
    const migrate = services.migrate!;
    expect(words(migrate.command)).toContain('npm run migrate');
    expect(dependsOn(migrate, 'db')).toBe('service_healthy');
  });

  it('should serve the API on port 8000 after the migrations completed, with a /readyz healthcheck', () => {
    const api = services.api!;
    expect(words(api.command)).toContain('--role api');
    const containerPorts = (api.ports ?? []).map((p) =>
      typeof p === 'object' ? String(p.target) : String(p).split(':').at(-1)!.split('/')[0],
    );
    expect(containerPorts).toContain('8000');
    expect(dependsOn(api, 'migrate')).toBe('service_completed_successfully');
    expect(words(api.healthcheck?.test)).toContain('/readyz');
  });

  it('should let the worker scale with --scale worker=N: no fixed container name and no host ports', () => {
    const worker = services.worker!;
    expect(words(worker.command)).toContain('--role worker');
    expect(worker.container_name).toBeUndefined();
    expect(worker.ports ?? []).toEqual([]);
    expect(dependsOn(worker, 'migrate')).toBe('service_completed_successfully');
  });

  it('should require every secret: each interpolation uses the :? form, never a default', () => {
    for (const secret of SECRETS) {
      const uses = [...raw.matchAll(new RegExp(String.raw`\$\{${secret}([^}]*)\}`, 'g'))];
      expect(uses.length, `${secret} is used`).toBeGreaterThan(0);
      for (const [use, modifier] of uses) expect(modifier, use).toMatch(/^:\?/);
      // A bare $NAME would silently become empty when unset.
      expect(raw).not.toMatch(new RegExp(String.raw`\$${secret}\b`));
    }
  });

  it('should hold no literal password or secret value', () => {
    for (const [name, service] of Object.entries(services)) {
      for (const [variable, value] of Object.entries(environment(service))) {
        if (/PASSWORD|SECRET|TOKEN|KEY/i.test(variable)) {
          expect(value, `${name}.${variable}`).toMatch(/^\$\{[A-Z_]+:\?[^}]*\}$/);
        }
        // Credentials in a URL come from the required variable too.
        const credentials = /^[a-z][a-z0-9+.-]*:\/\/[^/@:]*:([^@]*)@/i.exec(value);
        if (credentials) expect(credentials[1], `${name}.${variable}`).toMatch(/^\$\{[A-Z_]+:\?[^}]*\}$/);
      }
    }
  });

  it('should pass scripts/check-compose.sh when docker-compose is installed', () => {
    const probe = spawnSync('docker-compose', ['version'], { stdio: 'ignore' });
    // Only the binary's absence skips this (CI installs it); any other failure is a failure.
    if (probe.error && (probe.error as NodeJS.ErrnoException).code === 'ENOENT') return;
    const result = spawnSync('bash', ['scripts/check-compose.sh'], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
    expect(result.status, `${result.stdout}\n${result.stderr}`).toBe(0);
  });
});

describe('.env.example', () => {
  it('should list POSTGRES_PASSWORD and JWT_SECRET with empty values', () => {
    const lines = read('.env.example').split(/\r?\n/);
    for (const secret of SECRETS) {
      const entries = lines.filter((line) => line.startsWith(`${secret}=`));
      expect(entries, secret).toEqual([`${secret}=`]);
    }
  });
});

describe('the Dockerfile', () => {
  let instructions: { keyword: string; args: string }[];

  beforeAll(() => {
    instructions = dockerInstructions(read('Dockerfile'));
  });

  it('should be multi-stage', () => {
    expect(instructions.filter((i) => i.keyword === 'FROM').length).toBeGreaterThanOrEqual(2);
  });

  it('should build with npm ci and npm run build, the npm scripts CI uses', () => {
    const stages = instructions.findIndex((i, n) => n > 0 && i.keyword === 'FROM');
    const build = instructions.slice(0, stages);
    const runs = build.filter((i) => i.keyword === 'RUN').map((i) => i.args);
    expect(runs.some((r) => /\bnpm ci\b/.test(r))).toBe(true);
    expect(runs.some((r) => /\bnpm run build\b/.test(r))).toBe(true);
    const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
    expect(scripts.build).toBeDefined();
  });

  it('should run as a non-root user', () => {
    const users = instructions.filter((i) => i.keyword === 'USER').map((i) => i.args.split(':')[0]);
    expect(users.length).toBeGreaterThan(0);
    // The last USER is the one the container runs as.
    expect(['root', '0']).not.toContain(users.at(-1));
  });

  it('should check /readyz and stop on SIGTERM', () => {
    const healthchecks = instructions.filter((i) => i.keyword === 'HEALTHCHECK');
    expect(healthchecks.at(-1)?.args).toContain('/readyz');
    expect(instructions.filter((i) => i.keyword === 'STOPSIGNAL').map((i) => i.args)).toEqual(['SIGTERM']);
  });
});

describe('.dockerignore', () => {
  it('should keep .env out of the image', () => {
    expect(read('.dockerignore').split(/\r?\n/).map((l) => l.trim())).toContain('.env');
  });
});
