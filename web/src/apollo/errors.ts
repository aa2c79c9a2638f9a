import { CombinedGraphQLErrors, ServerError } from '@apollo/client/errors';
import type { GraphQLFormattedError } from 'graphql';
import type { ErrorCode } from '../../../common/error-code';

/** The codes the server puts in `extensions.code`, from the module it shares with the server. */
export { ErrorCode } from '../../../common/error-code';

/** What the UI needs to know about a failed operation. */
export interface OperationProblem {
  /** `extensions.code` (an `ErrorCode`, or a code of GraphQL itself), or null for a network problem. */
  code: string | null;
  /** The server's message, or the transport's for a network problem. */
  message: string;
  /** The input the server blamed (`extensions.field`), for BAD_USER_INPUT. */
  field: string | null;
  extensions: Readonly<Record<string, unknown>>;
}

/** The GraphQL errors inside an Apollo error, whether they came as a result or as an HTTP error body. */
export function graphQLErrorsOf(error: unknown): readonly GraphQLFormattedError[] {
  if (CombinedGraphQLErrors.is(error)) return error.errors;
  if (ServerError.is(error)) {
    try {
      const body = JSON.parse(error.bodyText) as { errors?: GraphQLFormattedError[] };
      return Array.isArray(body.errors) ? body.errors : [];
    } catch {
      return [];
    }
  }
  return [];
}

/** Whether any GraphQL error in `error` carries `code`. */
export function hasErrorCode(error: unknown, code: ErrorCode): boolean {
  return graphQLErrorsOf(error).some((e) => e.extensions?.code === code);
}

/** Reads the first problem of a failed operation. */
export function problemOf(error: unknown): OperationProblem {
  const first = graphQLErrorsOf(error)[0];
  if (first) {
    const extensions = first.extensions ?? {};
    return {
      code: typeof extensions.code === 'string' ? extensions.code : null,
      message: first.message,
      field: typeof extensions.field === 'string' ? extensions.field : null,
      extensions,
    };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { code: null, message, field: null, extensions: {} };
}

/** The server's BAD_USER_INPUT messages read "field: reason"; the reason alone suits a field's feedback. */
export function reasonWithoutField(problem: OperationProblem): string {
  const prefix = problem.field ? `${problem.field}: ` : '';
  return prefix && problem.message.startsWith(prefix) ? problem.message.slice(prefix.length) : problem.message;
}
