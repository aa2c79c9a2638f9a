import { describe, expect, it } from 'vitest';
import { AppError, ErrorCode } from './errors/app-error.js';
import { MAX_PAGE_SIZE, checkPageSize, decodeCursor, encodeCursor, isUuid, toPage } from './pagination.js';

const ID = '0b6f3c1e-5d2a-4f7b-9c8e-1a2b3c4d5e6f';
const AT = new Date('2026-01-31T23:59:59.999Z');

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64url');

/** Runs `fn` and returns the AppError it throws, failing the test when it throws nothing else. */
function appErrorOf(fn: () => unknown): AppError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return error as AppError;
  }
  throw new Error('expected an AppError, but nothing was thrown');
}

function expectBadInput(fn: () => unknown, field: string): void {
  const error = appErrorOf(fn);
  expect(error.code).toBe(ErrorCode.BAD_USER_INPUT);
  expect(error.details).toEqual({ field });
  expect(error.message).toMatch(new RegExp(`^${field}: `));
}

describe('isUuid', () => {
  it('should accept UUIDs in either case', () => {
    expect(isUuid(ID)).toBe(true);
    expect(isUuid(ID.toUpperCase())).toBe(true);
  });

  it('should refuse anything else', () => {
    expect(isUuid('')).toBe(false);
    expect(isUuid('42')).toBe(false);
    expect(isUuid(`${ID}0`)).toBe(false);
    expect(isUuid(` ${ID}`)).toBe(false);
    expect(isUuid(ID.replaceAll('-', ''))).toBe(false);
    expect(isUuid('0b6f3c1e-5d2a-4f7b-9c8e-1a2b3c4d5e6g')).toBe(false);
  });
});

describe('cursors', () => {
  it('should decode what they encode', () => {
    const cursor = encodeCursor({ createdAt: AT, id: ID });
    expect(decodeCursor(cursor)).toEqual({ createdAt: AT, id: ID });
  });

  it('should keep millisecond precision', () => {
    const createdAt = new Date('2026-05-06T07:08:09.123Z');
    expect(decodeCursor(encodeCursor({ createdAt, id: ID })).createdAt.getTime()).toBe(createdAt.getTime());
  });

  it('should be URL-safe and opaque', () => {
    const cursor = encodeCursor({ createdAt: AT, id: ID });
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(cursor).not.toContain(ID);
  });

  it('should give different rows different cursors', () => {
    const other = 'ffffffff-5d2a-4f7b-9c8e-1a2b3c4d5e6f';
    expect(encodeCursor({ createdAt: AT, id: ID })).not.toBe(encodeCursor({ createdAt: AT, id: other }));
    expect(encodeCursor({ createdAt: AT, id: ID })).not.toBe(
      encodeCursor({ createdAt: new Date(AT.getTime() - 1), id: ID }),
    );
  });

  it('should refuse garbage as bad input on the field after', () => {
    expectBadInput(() => decodeCursor('not a cursor!'), 'after');
    expectBadInput(() => decodeCursor(''), 'after');
    expectBadInput(() => decodeCursor('%%%%'), 'after');
    expectBadInput(() => decodeCursor(b64('\u0000\u0001\u0002')), 'after');
  });

  it('should refuse a cursor that is too long', () => {
    const long = b64(`${AT.toISOString()}|${ID}`) + 'A'.repeat(200);
    expectBadInput(() => decodeCursor(long), 'after');
  });

  it('should refuse a cursor of the wrong shape', () => {
    expectBadInput(() => decodeCursor(b64(AT.toISOString())), 'after');
    expectBadInput(() => decodeCursor(b64(`${AT.toISOString()}|${ID}|extra`)), 'after');
    expectBadInput(() => decodeCursor(b64(`${ID}|${AT.toISOString()}`)), 'after');
    expectBadInput(() => decodeCursor(b64(`not a date|${ID}`)), 'after');
    expectBadInput(() => decodeCursor(b64(`|${ID}`)), 'after');
  });

  it('should refuse a cursor whose id is not a UUID', () => {
    expectBadInput(() => decodeCursor(b64(`${AT.toISOString()}|42`)), 'after');
    expectBadInput(() => decodeCursor(b64(`${AT.toISOString()}|`)), 'after');
    expectBadInput(() => decodeCursor(b64(`${AT.toISOString()}|${ID}'; drop table jobs; --`)), 'after');
  });
});

describe('checkPageSize', () => {
  it('should accept sizes from 1 to the maximum', () => {
    expect(checkPageSize(1, MAX_PAGE_SIZE)).toBe(1);
    expect(checkPageSize(20, MAX_PAGE_SIZE)).toBe(20);
    expect(checkPageSize(MAX_PAGE_SIZE, MAX_PAGE_SIZE)).toBe(MAX_PAGE_SIZE);
  });

  it('should refuse sizes outside the bounds as bad input on the field first', () => {
    for (const first of [0, -1, MAX_PAGE_SIZE + 1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expectBadInput(() => checkPageSize(first, MAX_PAGE_SIZE), 'first');
    }
  });

  it('should say what the bounds are', () => {
    expect(appErrorOf(() => checkPageSize(0, 50)).message).toContain('1 to 50');
  });
});

describe('toPage', () => {
  const rows = Array.from({ length: 4 }, (_, i) => ({
    createdAt: new Date(AT.getTime() - i * 1000),
    id: `0b6f3c1e-5d2a-4f7b-9c8e-1a2b3c4d5e6${i}`,
    name: `row ${i}`,
  }));

  it('should say more follow when one extra row was fetched, and leave that row out', () => {
    const page = toPage(rows, 3, 10);
    expect(page.hasNextPage).toBe(true);
    expect(page.items.map((e) => e.node)).toEqual(rows.slice(0, 3));
    expect(page.totalCount).toBe(10);
  });

  it('should say none follow when no extra row was fetched', () => {
    const page = toPage(rows.slice(0, 3), 3, 3);
    expect(page.hasNextPage).toBe(false);
    expect(page.items).toHaveLength(3);
  });

  it('should give each item its own cursor and end with the last item’s', () => {
    const page = toPage(rows, 3, 10);
    page.items.forEach((edge, i) => expect(edge.cursor).toBe(encodeCursor(rows[i]!)));
    expect(page.endCursor).toBe(encodeCursor(rows[2]!));
    expect(decodeCursor(page.endCursor!)).toEqual({ createdAt: rows[2]!.createdAt, id: rows[2]!.id });
  });

  it('should give an empty page no end cursor and no next page', () => {
    expect(toPage([], 20, 0)).toEqual({ items: [], hasNextPage: false, endCursor: null, totalCount: 0 });
  });
});
