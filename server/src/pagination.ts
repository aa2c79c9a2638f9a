import { badUserInput } from './errors/app-error.js';

/** A position in a list ordered by (createdAt, id). */
export interface KeysetCursor {
  createdAt: Date;
  id: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether `value` is a UUID, the shape of every id; other strings cannot name anything. */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}

/** Encodes a row's position as an opaque cursor. */
export function encodeCursor(row: KeysetCursor): string {
  return Buffer.from(`${row.createdAt.toISOString()}|${row.id}`, 'utf8').toString('base64url');
}

/**
 * Decodes a cursor made by `encodeCursor`.
 *
 * @throws AppError BAD_USER_INPUT (field `after`) for anything else.
 */
export function decodeCursor(cursor: string): KeysetCursor {
  const invalid = () => badUserInput('after', 'is not a cursor returned by this API');
  if (cursor.length > 200) throw invalid();
  const [iso, id, ...rest] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const createdAt = new Date(iso ?? '');
  if (rest.length > 0 || id === undefined || !isUuid(id) || Number.isNaN(createdAt.getTime())) throw invalid();
  return { createdAt, id };
}

/** Checks a page size against the allowed bounds. */
export function checkPageSize(first: number, max: number): number {
  if (!Number.isInteger(first) || first < 1 || first > max) {
    throw badUserInput('first', `must be an integer from 1 to ${max}`);
  }
  return first;
}

/** A page of a keyset-paginated list. */
export interface Page<T> {
  items: { cursor: string; node: T }[];
  hasNextPage: boolean;
  endCursor: string | null;
  totalCount: number;
}

/** The largest `first` a list accepts. */
export const MAX_PAGE_SIZE = 100;

/** Builds a page from rows fetched with one extra row (which only says that more follow). */
export function toPage<T extends KeysetCursor>(rows: T[], first: number, totalCount: number): Page<T> {
  const items = rows.slice(0, first).map((node) => ({ cursor: encodeCursor(node), node }));
  return { items, hasNextPage: rows.length > first, endCursor: items.at(-1)?.cursor ?? null, totalCount };
}
