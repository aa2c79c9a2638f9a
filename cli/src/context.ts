import { Api } from './api.js';
import { configPath, readConfig, resolveConnection, type StoredConfig } from './config.js';
import { CliError, ExitCode } from './exit-codes.js';
import { Output } from './output.js';

/** What every command works with: the API, where to print, and the stored configuration. */
export interface Context {
  api: Api;
  out: Output;
  stored: StoredConfig | null;
  configFile: string;
  env: NodeJS.ProcessEnv;
}

/** Options every command takes. */
export interface CommonOptions {
  json?: boolean;
}

/** The context of one command, from the environment and the stored configuration. */
export async function contextFor(options: CommonOptions, env: NodeJS.ProcessEnv = process.env): Promise<Context> {
  const out = new Output(options.json === true);
  const configFile = configPath(env);
  const stored = await readConfig(configFile);
  const { url, token } = resolveConnection(env, stored);
  return { api: new Api(url, token), out, stored, configFile, env };
}

/** Fails unless a token is configured (stored by `gpuaas login`, or GPUAAS_TOKEN). */
export function requireSignedIn(ctx: Context): void {
  if (!ctx.env.GPUAAS_TOKEN && !ctx.stored) {
    throw new CliError('UNAUTHENTICATED', `no token for ${ctx.api.url}`, ExitCode.Error, 'run `gpuaas login`, or set GPUAAS_TOKEN');
  }
}
