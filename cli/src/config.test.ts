import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { configPath, readConfig, removeConfig, resolveConnection, writeConfig } from './config.js';

describe('the configuration file', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'gpuaas-cli-config-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('should live under XDG_CONFIG_HOME when it is set, else under ~/.config', () => {
    expect(configPath({ XDG_CONFIG_HOME: '/x/cfg' })).toBe('/x/cfg/gpuaas/config.json');
    expect(configPath({})).toBe(path.join(os.homedir(), '.config', 'gpuaas', 'config.json'));
    // A relative XDG_CONFIG_HOME is invalid by the specification and ignored.
    expect(configPath({ XDG_CONFIG_HOME: 'rel' })).toBe(path.join(os.homedir(), '.config', 'gpuaas', 'config.json'));
  });

  it('should be written with mode 0600 in a 0700 folder, even over a looser file', async () => {
    const file = path.join(dir, 'gpuaas', 'config.json');
    await writeConfig({ url: 'http://a', token: 'gpa_x' }, file);
    await writeFile(file, '{}', { mode: 0o644 });
    await writeConfig({ url: 'http://a', token: 'gpa_y' }, file);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(path.dirname(file))).mode & 0o777).toBe(0o700);
    expect(await readConfig(file)).toEqual({ url: 'http://a', token: 'gpa_y' });
    expect(await removeConfig(file)).toBe(true);
    expect(await readConfig(file)).toBeNull();
    expect(await removeConfig(file)).toBe(false);
  });

  it('should refuse a file that is not a configuration', async () => {
    const file = path.join(dir, 'config.json');
    await writeFile(file, '{"url": 1}');
    await expect(readConfig(file)).rejects.toThrow(/not a gpuaas configuration/);
  });

  it('should let GPUAAS_URL and GPUAAS_TOKEN override what is stored', () => {
    const stored = { url: 'http://stored/', token: 'gpa_stored' };
    expect(resolveConnection({}, stored)).toEqual({ url: 'http://stored', token: 'gpa_stored' });
    expect(resolveConnection({ GPUAAS_URL: 'http://env', GPUAAS_TOKEN: 'gpa_env' }, stored)).toEqual({ url: 'http://env', token: 'gpa_env' });
    expect(resolveConnection({}, null)).toEqual({ url: 'http://localhost:8000', token: undefined });
  });
});
