/** What every response must be, whatever it answers: never a 500, a stack trace or SQL text. */
import { expect } from 'vitest';
import type { GqlResponse, TestServer } from './harness.js';

/** Text that betrays SQL in an error message. */
export const SQL_TEXT = /\b(select|insert into|delete from)\b|\bupdate\s+\S+\s+set\b|violates|duplicate key|constraint|relation "|syntax error at or near/i;

/** Asserts a response leaks nothing and is not a server error. */
export function expectHygienic(res: GqlResponse<unknown>): void {
  expect(res.status).toBeLessThan(500);
  for (const error of res.errors ?? []) {
    expect(error.extensions ?? {}).not.toHaveProperty('stacktrace');
    expect(error.extensions ?? {}).not.toHaveProperty('exception');
    expect(error.message).not.toMatch(SQL_TEXT);
  }
}

/**
 * `server.gql` with the hygiene check applied to every answer; `server` is read at each call,
 * so it may be started in a `beforeAll` after this is made.
 */
export function hygienicGql(server: () => TestServer) {
  return async <T = Record<string, any>>(
    query: string,
    variables: Record<string, unknown> = {},
    token?: string,
    headers: Record<string, string> = {},
  ): Promise<GqlResponse<T>> => {
    const res = await server().gql<T>(query, variables, token, headers);
    expectHygienic(res);
    return res;
  };
}
