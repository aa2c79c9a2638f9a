import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { migrationsList } from '../src/db/migrations.js';
import { MIGRATIONS_DIR } from '../src/paths.js';

/** The migration files in `migrations/`, by name without `.ts`, in filename order. */
async function migrationFiles(): Promise<string[]> {
  const files = await readdir(MIGRATIONS_DIR);
  return files
    .filter((file) => /^Migration.*\.ts$/.test(file) && !file.endsWith('.d.ts'))
    .map((file) => file.slice(0, -'.ts'.length))
    .sort();
}

describe('the migrations list', () => {
  it('should list every file of migrations/, in filename order, and nothing else', async () => {
    const files = await migrationFiles();
    expect(files.length).toBeGreaterThan(0);
    expect(
      migrationsList.map((m) => m.name),
      'server/src/db/migrations.ts must list exactly the files of migrations/, oldest first',
    ).toEqual(files);
  });

  it('should list each migration once', () => {
    const names = migrationsList.map((m) => m.name);
    expect(new Set(names).size).toBe(names.length);
  });

  it('should run each file’s own migration class under its name', async () => {
    for (const { name, class: listed } of migrationsList) {
      const module = (await import(pathToFileURL(path.join(MIGRATIONS_DIR, `${name}.ts`)).href)) as Record<string, unknown>;
      expect(module[name], `${name}.ts exports ${name}`).toBeTypeOf('function');
      expect(listed, name).toBe(module[name]);
    }
  });
});
