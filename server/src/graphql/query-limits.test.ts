import 'reflect-metadata';
import { describe, expect, it } from 'vitest';
import { buildGraphQLSchema } from './schema.js';
import { QUERY_LIMITS, documentChecker, queryArmor } from './query-limits.js';

describe('documentChecker', async () => {
  const schema = await buildGraphQLSchema();
  const check = documentChecker(schema, queryArmor(true), true);
  const SUBSCRIPTION = 'subscription { jobStatusChanged { status progress job { id owner { id } } } }';

  it('should hand back the same checked document for the same text', () => {
    const first = check(SUBSCRIPTION);
    expect('document' in first).toBe(true);
    expect(check(SUBSCRIPTION)).toBe(first);
  });

  it('should refuse an invalid document every time, with the codes HTTP gives', () => {
    for (let i = 0; i < 2; i++) {
      const unknownField = check('subscription { nope }');
      expect('errors' in unknownField && unknownField.errors[0]!.extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
      const garbage = check('subscription {');
      expect('errors' in garbage && garbage.errors[0]!.extensions.code).toBe('GRAPHQL_PARSE_FAILED');
    }
  });

  it('should apply the query limits', () => {
    const aliases = Array.from({ length: QUERY_LIMITS.maxAliases + 1 }, (_, i) => `a${i}: status`).join(' ');
    const tooManyAliases = check(`subscription { jobStatusChanged { ${aliases} } }`);
    expect('errors' in tooManyAliases && tooManyAliases.errors[0]!.message).toMatch(/alias/i);
    const tooManyTokens = check(`subscription { jobStatusChanged { ${'status '.repeat(QUERY_LIMITS.maxTokens)} } }`);
    expect('errors' in tooManyTokens && tooManyTokens.errors[0]!.extensions.code).toBe('GRAPHQL_PARSE_FAILED');
  });

  it('should refuse introspection when it is disabled, as Apollo does', () => {
    const closed = documentChecker(schema, queryArmor(false), false);
    const schemaQuery = closed('{ __schema { types { name } } }');
    expect('errors' in schemaQuery && schemaQuery.errors[0]!.extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect('document' in check('{ __schema { types { name } } }')).toBe(true);
    expect('document' in closed('{ __typename }')).toBe(true);
  });
});
