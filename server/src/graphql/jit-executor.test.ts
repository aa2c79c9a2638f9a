import type { GatewayGraphQLRequestContext } from '@apollo/server-gateway-interface';
import { buildSchema, execute, GraphQLError, parse, type GraphQLSchema } from 'graphql';
import { describe, expect, it } from 'vitest';
import { CompiledOperations, jitExecutor } from './jit-executor.js';

class Refusal extends Error {}

const schema: GraphQLSchema = buildSchema(`
  type Query { hello(name: String!): String!  refuse: String  count(n: Int!): Int! }
`);
const root = {
  hello: ({ name }: { name: string }) => `hello ${name}`,
  refuse: () => {
    throw new Refusal('no');
  },
  count: ({ n }: { n: number }) => n,
};
// buildSchema leaves resolvers to the root value; give the fields their resolvers, as type-graphql does.
for (const [name, field] of Object.entries(schema.getQueryType()!.getFields())) {
  field.resolve = (_source, args) => (root as Record<string, (args: never) => unknown>)[name]!(args as never);
}

/** The part of Apollo's request context the executor reads. */
function request(query: string, variables: Record<string, unknown> = {}, operationName: string | null = null) {
  return {
    document: parse(query),
    operationName,
    queryHash: query,
    context: {},
    request: { query, variables, operationName: operationName ?? undefined },
  } as unknown as GatewayGraphQLRequestContext;
}

describe('the graphql-jit executor', () => {
  it('should answer as graphql-js does', async () => {
    const run = jitExecutor(schema);
    const query = 'query Q($name: String!) { hello(name: $name) count(n: 3) }';
    const expected = await execute({ schema, document: parse(query), variableValues: { name: 'ada' } });
    expect(await run(request(query, { name: 'ada' }))).toEqual(expected);
  });

  it("should give a resolver's error in graphql-js's shape, with its path, locations, extensions and original error", async () => {
    const result = await jitExecutor(schema)(request('{ refuse }'));
    const error = result.errors![0]!;
    expect(error).toBeInstanceOf(GraphQLError);
    expect(error.originalError).toBeInstanceOf(Refusal);
    expect(error.extensions).toEqual({});
    expect(error.toJSON()).toEqual({ message: 'no', path: ['refuse'], locations: [{ line: 1, column: 3 }] });
    expect(result.data).toEqual({ refuse: null });
  });

  it("should leave variables that do not coerce to graphql-js, so the answer is graphql-js's own", async () => {
    const query = 'query Q($n: Int!) { count(n: $n) }';
    const expected = await execute({ schema, document: parse(query), variableValues: { n: 'many' } });
    const result = await jitExecutor(schema)(request(query, { n: 'many' }));
    expect(result.data).toBeUndefined();
    expect(result.errors!.map((e) => e.toJSON())).toEqual(expected.errors!.map((e) => e.toJSON()));
  });

  it('should compile each operation once, and keep at most its bound', async () => {
    const operations = new CompiledOperations(schema, 2);
    const run = jitExecutor(schema, operations);
    for (const query of ['{ count(n: 1) }', '{ count(n: 1) }', '{ count(n: 2) }']) await run(request(query));
    expect(operations.count).toBe(2);
    await run(request('{ count(n: 3) }'));
    expect(operations.count).toBe(2);
  });
});
