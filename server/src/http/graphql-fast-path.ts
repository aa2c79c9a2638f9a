/**
 * The fast path of `POST /graphql`: a plain operation (a query or a mutation, in a JSON body
 * without extensions) whose document has passed validation runs straight from its compiled form,
 * without Apollo's request pipeline, whose plugin hooks, promises and hashing cost more CPU than a
 * simple query's own work. Everything else (a document that does not parse or validate, variables
 * that do not coerce, a context that fails, persisted queries, GET, an `Accept` the answer cannot
 * meet, a server shutting down) goes to Apollo, which gives its usual answers; no resolver has run
 * when a request is handed over.
 *
 * An answer is what Apollo's would be, byte for byte (`graphql-fast-path.test.ts` compares them):
 * the same validation (`documentChecker`: graphql-js's rules, the query limits, no introspection
 * unless enabled), the same executor (graphql-jit, or graphql-js with `GRAPHQL_JIT=false`), the
 * same error mapping (`formatError`, after Apollo's own normalisation), the same content type, the
 * same metrics, log line and Retry-After (`finishOperation`).
 */
import {
  execute,
  getOperationAST,
  GraphQLError,
  type DocumentNode,
  type ExecutionResult,
  type GraphQLFormattedError,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import Negotiator from 'negotiator';
import type { GraphQLContext } from '../graphql/context.js';
import { finishOperation, formatError, logUnexpected } from '../graphql/errors.js';
import { asGraphQLError, CompiledOperations } from '../graphql/jit-executor.js';
import type { Checked } from '../graphql/query-limits.js';
import type { Metrics } from '../observability/metrics.js';

/** The content types of a single result, in Apollo's order of preference (its `MEDIA_TYPES`). */
const SINGLE_RESULT_TYPES = [
  'application/json; charset=utf-8',
  'application/graphql-response+json; charset=utf-8',
  'application/json; callbackSpec=1.0; charset=utf-8',
];

/** Distinct `Accept` headers whose negotiated answer is remembered (clients send a handful). */
const ACCEPT_CACHE_SIZE = 100;

/** A request the fast path answered. */
export interface FastAnswer {
  status: number;
  headers: [string, string][];
  body: string;
}

/** A GraphQL request body's fields as Apollo reads them, when they are of the plain kind. */
interface PlainRequest {
  query: string;
  operationName: string | undefined;
  variables: Record<string, unknown> | undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The body's query, operation name and variables, or null for anything Apollo should judge. */
function plainRequest(body: unknown): PlainRequest | null {
  if (!isRecord(body)) return null;
  const { query, operationName, variables, extensions } = body;
  if (typeof query !== 'string' || query === '') return null;
  if (operationName !== undefined && operationName !== null && typeof operationName !== 'string') return null;
  if (variables !== undefined && variables !== null && !isRecord(variables)) return null;
  // Extensions may ask for persisted queries or anything else Apollo understands.
  if (extensions !== undefined && extensions !== null) return null;
  return { query, operationName: operationName ?? undefined, variables: variables ?? undefined };
}

/**
 * An error as Apollo hands it to `formatError`: a GraphQLError's JSON with a code always, the
 * stack never (stack traces are off in every environment).
 */
function enriched(error: GraphQLError): GraphQLFormattedError {
  const json = error.toJSON();
  return { ...json, extensions: { ...error.extensions, code: error.extensions.code ?? 'INTERNAL_SERVER_ERROR' } };
}

/** `formatError` as Apollo calls it: a mapper that throws gives a generic error, not a crash. */
function formatted(error: GraphQLError): GraphQLFormattedError {
  try {
    return formatError(enriched(error), error);
  } catch {
    return { message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } };
  }
}

export interface FastPathOptions {
  schema: GraphQLSchema;
  /** Parses and validates with Apollo's rules, remembering the documents that passed. */
  check: (query: string) => Checked;
  /** Whether operations run compiled by graphql-jit (`GRAPHQL_JIT`) or by graphql-js. */
  jit: boolean;
  metrics: Metrics;
}

/** Runs plain operations of validated documents; see the file's comment for what it leaves to Apollo. */
export class GraphQLFastPath {
  private readonly compiled: CompiledOperations | undefined;
  private readonly contentTypes = new Map<string, string | null>();
  private open = true;

  constructor(private readonly options: FastPathOptions) {
    this.compiled = options.jit ? new CompiledOperations(options.schema) : undefined;
  }

  /** From now on every request goes to Apollo, which refuses them once it has stopped. */
  close(): void {
    this.open = false;
  }

  /**
   * The answer to `body`, or null when Apollo should answer it. `context` is the operation's
   * context, made at most once by the caller and handed to Apollo as it is when the fast path
   * gives the request up (a context that failed is Apollo's to report).
   */
  async answer(body: unknown, accept: string | undefined, context: () => Promise<GraphQLContext>): Promise<FastAnswer | null> {
    if (!this.open) return null;
    const request = plainRequest(body);
    if (request === null) return null;
    const contentType = this.contentTypeFor(accept);
    if (contentType === null) return null;
    const checked = this.options.check(request.query);
    if (!('document' in checked)) return null;
    const operation = getOperationAST(checked.document, request.operationName);
    if (operation == null || operation.operation === 'subscription') return null;

    let contextValue: GraphQLContext;
    try {
      contextValue = await context();
    } catch {
      return null;
    }
    const started = process.hrtime.bigint();
    const result = await this.execute(request, checked.document, contextValue);
    // No data at all: the variables did not coerce, and nothing ran. Apollo words that answer.
    if (result.data === undefined) return null;
    return this.respond(result, operation, contextValue, contentType, started);
  }

  private execute(request: PlainRequest, document: DocumentNode, contextValue: GraphQLContext): Promise<ExecutionResult> | ExecutionResult {
    const { schema } = this.options;
    const operation = this.compiled?.get(request.query, document, request.operationName ?? null);
    if (operation === undefined || operation === 'reference') {
      return execute({ schema, document, contextValue, variableValues: request.variables, operationName: request.operationName });
    }
    return operation.query(undefined, contextValue, request.variables ?? {}) as Promise<ExecutionResult> | ExecutionResult;
  }

  private respond(
    result: ExecutionResult,
    operation: OperationDefinitionNode,
    contextValue: GraphQLContext,
    contentType: string,
    started: bigint,
  ): FastAnswer {
    const headers: [string, string][] = [['content-type', contentType]];
    const operationName = operation.name?.value ?? null;
    // graphql-jit's errors, in graphql-js's shape (as the executor Apollo runs gives them).
    const errors = result.errors?.map((e) => (this.compiled === undefined ? e : asGraphQLError(e)));
    if (errors !== undefined) logUnexpected(errors, contextValue.log, operationName);
    finishOperation(this.options.metrics, contextValue, { started, operationName, operation, errors }, (name, value) => headers.push([name, value]));
    const answer = { errors: errors?.map(formatted), data: result.data, extensions: result.extensions };
    return { status: 200, headers, body: JSON.stringify(answer) };
  }

  /**
   * The content type Apollo would answer a single result with for this `Accept` header (JSON when
   * there is none), or null when it would refuse the request (406).
   */
  private contentTypeFor(accept: string | undefined): string | null {
    if (accept === undefined || accept === '') return SINGLE_RESULT_TYPES[0]!;
    let type = this.contentTypes.get(accept);
    if (type === undefined) {
      type = new Negotiator({ headers: { accept } }).mediaType(SINGLE_RESULT_TYPES) ?? null;
      if (this.contentTypes.size < ACCEPT_CACHE_SIZE) this.contentTypes.set(accept, type);
    }
    return type;
  }
}
