import type { SqlRunner } from '../../db/sql.js';
import type { Viewer } from '../auth/viewer.js';
import type { Role } from './user.entity.js';

/** A user as the API shows it and as quota rules need it: every column but the password hash. */
export interface UserRecord {
  id: string;
  email: string;
  role: Role;
  monthlyGpuHoursLimit: number | null;
  createdAt: Date;
}

/** `users` columns as `pg` returns them (numeric as text). */
export interface UserRow {
  id: string;
  email: string;
  role: Role;
  monthly_gpu_hours_limit: string | null;
  created_at: Date;
}

export const toUserRecord = (row: UserRow): UserRecord => ({
  id: row.id,
  email: row.email,
  role: row.role,
  monthlyGpuHoursLimit: row.monthly_gpu_hours_limit === null ? null : Number(row.monthly_gpu_hours_limit),
  createdAt: row.created_at,
});

/**
 * The token check's read of its user, run on every authenticated request and WebSocket
 * connection (exported so the benchmark's raw baseline sends the very same statement).
 */
export const CREDENTIALS_SQL =
  'select id, email, role, token_version, monthly_gpu_hours_limit, created_at from users where id = $1';

/** The user a token names, with its token version, or null for a deleted user. */
export async function credentialsOf(sql: SqlRunner, id: string): Promise<Viewer | null> {
  const [row] = await sql.rows<UserRow & { token_version: number }>(CREDENTIALS_SQL, [id]);
  return row ? { ...toUserRecord(row), tokenVersion: row.token_version } : null;
}

/**
 * The current token version of each of `ids` that still exists (a deleted user is missing), for
 * the periodic re-check of open sockets: one statement for every user with a socket here.
 */
export async function tokenVersions(sql: SqlRunner, ids: readonly string[]): Promise<Map<string, number>> {
  const rows = await sql.rows<{ id: string; token_version: number }>(
    'select id, token_version from users where id = any($1::uuid[])',
    [ids],
  );
  return new Map(rows.map((r) => [r.id, r.token_version]));
}
