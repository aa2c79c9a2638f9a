import type { SqlRunner } from '../../db/sql.js';
import type { Viewer } from '../auth/viewer.js';
import { toUserRecord, type UserRow } from '../users/user.queries.js';

/**
 * The token check's read for an API token: the live token (not revoked, not expired) with its
 * user, found through the unique index on the hash. Run when the process's cache does not hold
 * the token, like `CREDENTIALS_SQL` for login tokens.
 */
const API_TOKEN_CREDENTIALS_SQL = `select t.id as token_id, t.expires_at, u.id, u.email, u.role, u.token_version,
       u.monthly_gpu_hours_limit, u.created_at
  from api_tokens t join users u on u.id = t.user_id
 where t.token_hash = $1 and t.revoked_at is null and (t.expires_at is null or t.expires_at > now())`;

/** The viewer an API token stands for, or null when no live token has this hash. */
export async function credentialsOfApiToken(sql: SqlRunner, tokenHash: string): Promise<Viewer | null> {
  const [row] = await sql.rows<UserRow & { token_id: string; expires_at: Date | null; token_version: number }>(
    API_TOKEN_CREDENTIALS_SQL,
    [tokenHash],
  );
  if (!row) return null;
  return { ...toUserRecord(row), tokenVersion: row.token_version, apiTokenId: row.token_id, apiTokenExpiresAt: row.expires_at };
}

/**
 * Records that a token was used. Conditional, so however many processes see the token at once,
 * the row is written at most once a minute: each process also asks at most once a minute per
 * token (`ApiTokenUsage`), and the condition drops the writes of the others.
 */
export async function touchApiToken(sql: SqlRunner, tokenId: string): Promise<void> {
  await sql.rows(
    "update api_tokens set last_used_at = now() where id = $1 and (last_used_at is null or last_used_at < now() - interval '1 minute')",
    [tokenId],
  );
}

/** Which of `ids` are still live (not revoked, not expired), for closing the sockets they opened. */
export async function liveApiTokens(sql: SqlRunner, ids: readonly string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await sql.rows<{ id: string }>(
    'select id from api_tokens where id = any($1::uuid[]) and revoked_at is null and (expires_at is null or expires_at > now())',
    [ids],
  );
  return new Set(rows.map((r) => r.id));
}

/** Live API tokens of every user, for the metrics. */
export async function countLiveApiTokens(sql: SqlRunner): Promise<number> {
  const [row] = await sql.rows<{ n: number }>(
    'select count(*)::int as n from api_tokens where revoked_at is null and (expires_at is null or expires_at > now())',
  );
  return row?.n ?? 0;
}
