/**
 * Executes HTTP operations with graphql-jit: each distinct document is compiled once into a plain
 * JavaScript function, which then runs its resolvers without graphql-js's per-field interpretation
 * (collecting fields, building `info`, completing values by type at every step). Apollo still
 * parses, validates (with our query limits), runs its plugins and formats errors; only the
 * `execute` step changes. It plugs in through Apollo's gateway interface, the one place Apollo
 * Server takes another executor.
 *
 * graphql-js stays the reference: a document graphql-jit cannot compile, and a request whose
 * variables do not coerce, go through graphql-js's `execute`, so those answers (and their error
 * messages and codes) are exactly graphql-js's.
 */
import type { GatewayExecutor, GatewayInterface } from '@apollo/server-gateway-interface';
import { execute, GraphQLError, type DocumentNode, type ExecutionResult, type GraphQLSchema } from 'graphql';
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';

/** Compiled documents kept; the least recently compiled goes first beyond this. */
export const JIT_CACHE_SIZE = 1000;

/** graphql-js's answer: for what graphql-jit does not compile, and for variables that do not coerce. */
const REFERENCE = 'reference';

type Operation = CompiledQuery<Record<string, unknown>, Record<string, unknown>> | typeof REFERENCE;

/** A cache of compiled operations by query hash and operation name, bounded by `size`. */
export class CompiledOperations {
  private readonly entries = new Map<string, Operation>();

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly size = JIT_CACHE_SIZE,
  ) {}

  /** How many operations are compiled now. */
  get count(): number {
    return this.entries.size;
  }

  /** The compiled operation of `document`, or REFERENCE when graphql-jit cannot compile it. */
  get(key: string, document: DocumentNode, operationName: string | null): Operation {
    let entry = this.entries.get(key);
    if (entry === undefined) {
      const compiled = compileQuery<Record<string, unknown>, Record<string, unknown>>(this.schema, document, operationName ?? undefined, {
        // Errors reach clients as messages and codes only: their stacks would be built for nothing.
        disablingCapturingStackErrors: true,
      });
      entry = isCompiledQuery(compiled) ? compiled : REFERENCE;
      if (this.entries.size >= this.size) this.entries.delete(this.entries.keys().next().value!);
      this.entries.set(key, entry);
    }
    return entry;
  }
}

/**
 * graphql-js's error for one of graphql-jit's: the same message, path, locations and original
 * error, and an `extensions` object always (graphql-jit leaves it undefined when the original
 * error has none, where Apollo and our error mapper expect graphql-js's shape).
 */
export function asGraphQLError(error: GraphQLError): GraphQLError {
  const converted = new GraphQLError(error.message, { path: error.path, originalError: error.originalError, extensions: error.extensions });
  if (error.locations !== undefined) Object.defineProperty(converted, 'locations', { value: error.locations, enumerable: true, writable: true, configurable: true });
  return converted;
}

/** The executor: graphql-jit's compiled operation, or graphql-js for what it leaves to the reference. */
export function jitExecutor(schema: GraphQLSchema, operations = new CompiledOperations(schema)): GatewayExecutor {
  return async (requestContext) => {
    const { document, operationName, request, context } = requestContext;
    const reference = () =>
      execute({ schema, document, contextValue: context, variableValues: request.variables, operationName: request.operationName }) as Promise<ExecutionResult>;
    const compiled = operations.get(`${requestContext.queryHash}:${operationName ?? ''}`, document, operationName);
    if (compiled === REFERENCE) return reference();
    const result = await compiled.query(undefined, context, request.variables ?? {});
    // No data at all: the variables did not coerce (a resolver's error leaves data, null or not).
    if (!('data' in result) || result.data === undefined) return reference();
    return result.errors === undefined ? result : { ...result, errors: result.errors.map(asGraphQLError) };
  };
}

/**
 * Apollo's gateway interface around a fixed schema and the JIT executor: `load` hands Apollo the
 * schema and the executor once; the schema never changes while the process runs.
 */
export function jitGateway(schema: GraphQLSchema): GatewayInterface {
  return {
    async load() {
      return { executor: jitExecutor(schema) };
    },
    onSchemaLoadOrUpdate(callback) {
      callback({ apiSchema: schema, coreSupergraphSdl: '' });
      return () => {};
    },
    async stop() {},
  };
}
