import type { ApolloServerPlugin } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError, type GraphQLFormattedError, type OperationDefinitionNode } from 'graphql';
import { AppError, ErrorCode } from '../errors/app-error.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { GraphQLContext } from './context.js';

/** Codes that Apollo and graphql-js give to problems with the request itself; safe to show. */
const REQUEST_ERROR_CODES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'BAD_REQUEST',
  'OPERATION_RESOLUTION_FAILURE',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
]);

/** The application error behind a GraphQL error, raised in a resolver or wrapped directly. */
function appErrorOf(error: unknown): AppError | undefined {
  const original = unwrapResolverError(error);
  if (original instanceof AppError) return original;
  if (original instanceof GraphQLError && original.originalError instanceof AppError) return original.originalError;
  return undefined;
}

/** Whether an error is expected: a typed application error or a problem with the request. */
function isExpected(formatted: GraphQLFormattedError, error: unknown): boolean {
  return appErrorOf(error) !== undefined || REQUEST_ERROR_CODES.has(String(formatted.extensions?.code));
}

/**
 * The one mapper from errors to responses. Application errors keep their code, message and
 * details; request errors keep their code; anything else becomes a generic message, logged with
 * its context by `logUnexpected` (over HTTP through `operationPlugin`, over WebSocket by the
 * socket server). Never a stack trace, never SQL.
 */
export function formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const original = appErrorOf(error);
  const base = { locations: formatted.locations, path: formatted.path };
  if (original) {
    return { ...base, message: original.message, extensions: { ...original.details, code: original.code } };
  }
  if (isExpected(formatted, error)) {
    return { ...base, message: formatted.message, extensions: { code: formatted.extensions?.code } };
  }
  return { ...base, message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } };
}

/** Logs every unexpected error of an operation with its stack, path and operation name. */
export function logUnexpected(errors: readonly GraphQLError[], log: Logger, operationName: string | null | undefined): void {
  for (const error of errors) {
    const original = unwrapResolverError(error);
    if (original instanceof AppError || REQUEST_ERROR_CODES.has(String(error.extensions?.code))) continue;
    log.error({ operationName, path: error.path?.join('.'), err: original }, 'Unexpected error in a GraphQL operation');
  }
}

/** What `finishOperation` reads of an operation that ran. */
export interface FinishedOperation {
  /** When it began, from `process.hrtime.bigint()`. */
  started: bigint;
  /** Its name as resolved (null for an anonymous operation). */
  operationName: string | null | undefined;
  operation: OperationDefinitionNode | undefined;
  errors: readonly GraphQLError[] | undefined;
}

/**
 * The end of every HTTP operation, whichever path ran it (`operationPlugin` in Apollo's pipeline,
 * or `GraphQLFastPath`): a rate-limited answer says when to retry, the operation's latency is
 * recorded, and its name, type, duration and error codes go on its request's one log line.
 */
export function finishOperation(
  metrics: Metrics,
  contextValue: GraphQLContext,
  { started, operationName, operation, errors }: FinishedOperation,
  setHeader: (name: string, value: string) => void,
): void {
  const limited = errors?.map((e) => unwrapResolverError(e)).find(
    (e): e is AppError => e instanceof AppError && e.code === ErrorCode.RATE_LIMITED,
  );
  if (limited) setHeader('retry-after', String(limited.details.retryAfter));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const name = operationName ?? operation?.name?.value ?? 'anonymous';
  const type = operation?.operation ?? 'unknown';
  metrics.observeOperation(name, type, errors?.length ? 'error' : 'ok', seconds);
  const codes = errors?.map((e) => e.extensions?.code ?? 'INTERNAL_SERVER_ERROR');
  const fields = { operationName: name, operationType: type, operationMs: Math.round(seconds * 1e4) / 10, errors: codes };
  // Over HTTP the request's one line carries the operation; otherwise it gets its own.
  if (contextValue.requestLog) contextValue.requestLog.operation = fields;
  else contextValue.log.info(fields, 'GraphQL operation');
}

/**
 * Logs each operation once (name, type, duration, error codes) on its request's line, records
 * its latency, and logs every unexpected error with its stack, request id, user and operation.
 */
export function operationPlugin(metrics: Metrics): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart({ contextValue }) {
      const started = process.hrtime.bigint();
      return {
        async didEncounterErrors({ errors, operationName }) {
          logUnexpected(errors, contextValue.log, operationName);
        },
        async willSendResponse({ operationName, operation, errors, response }) {
          finishOperation(metrics, contextValue, { started, operationName, operation, errors }, (name, value) => response.http.headers.set(name, value));
        },
      };
    },
  };
}
