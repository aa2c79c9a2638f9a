import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CliError, ExitCode } from './exit-codes.js';

/** What `gpuaas login` stores: the server and the API token it created (or was given). */
export interface StoredConfig {
  url: string;
  token: string;
  /** The token's id when `login` created it, so `logout` can revoke it. */
  tokenId?: string;
  email?: string;
}

/** Where the server and token come from for one command. */
export interface Connection {
  url: string;
  token: string | undefined;
}

/** The server used when nothing says otherwise. */
export const DEFAULT_URL = 'http://localhost:8000';

/** `$XDG_CONFIG_HOME/gpuaas/config.json`, else `~/.config/gpuaas/config.json`. */
export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME && path.isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : path.join(os.homedir(), '.config');
  return path.join(base, 'gpuaas', 'config.json');
}

/** The stored configuration, or null when there is none. A file that is not ours is an error. */
export async function readConfig(file = configPath()): Promise<StoredConfig | null> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new CliError('CONFIG', `cannot read ${file}: ${(error as Error).message}`, ExitCode.Error);
  }
  try {
    const parsed = JSON.parse(text) as Partial<StoredConfig>;
    if (typeof parsed.url !== 'string' || typeof parsed.token !== 'string') throw new Error('url or token missing');
    return parsed as StoredConfig;
  } catch (error) {
    throw new CliError('CONFIG', `${file} is not a gpuaas configuration (${(error as Error).message}); run \`gpuaas login\` again`, ExitCode.Error);
  }
}

/**
 * Stores the configuration readable by its owner only (0600, in a 0700 folder): it holds a
 * token. The mode is set again after writing, in case the file existed with a looser one.
 */
export async function writeConfig(config: StoredConfig, file = configPath()): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await writeFile(file, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  await chmod(file, 0o600);
}

/** Forgets the stored configuration; false when there was none. */
export async function removeConfig(file = configPath()): Promise<boolean> {
  try {
    await rm(file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

/** The server and token of a command: `GPUAAS_URL` and `GPUAAS_TOKEN` override the stored ones. */
export function resolveConnection(env: NodeJS.ProcessEnv, stored: StoredConfig | null): Connection {
  const url = (env.GPUAAS_URL || stored?.url || DEFAULT_URL).replace(/\/+$/, '');
  const token = env.GPUAAS_TOKEN || stored?.token || undefined;
  return { url, token };
}
