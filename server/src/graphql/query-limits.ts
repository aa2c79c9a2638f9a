import { ApolloArmor } from '@escape.tech/graphql-armor';
import { GraphQLError, NoSchemaIntrospectionCustomRule, parse, specifiedRules, validate, type DocumentNode, type GraphQLSchema } from 'graphql';

/**
 * Limits on what one GraphQL document may ask for, checked before any resolver runs. They are
 * far above what the web app needs (its deepest query has depth 5) and far below what hurts.
 */
export const QUERY_LIMITS = {
  maxDepth: 10,
  maxAliases: 15,
  maxDirectives: 10,
  maxTokens: 2000,
  maxCost: 5000,
} as const;

/**
 * graphql-armor's protections for Apollo, with our limits. With introspection off, "Did you mean
 * …?" suggestions are removed too: they would map the schema for an attacker.
 */
export function queryArmor(introspection: boolean): ApolloArmor {
  return new ApolloArmor({
    maxDepth: { n: QUERY_LIMITS.maxDepth, flattenFragments: true },
    maxAliases: { n: QUERY_LIMITS.maxAliases },
    maxDirectives: { n: QUERY_LIMITS.maxDirectives },
    // Tokens are limited by graphql-js's parser itself (`parseOptions` in Apollo, and in
    // `parseAndValidate`), so an oversized document is a plain GRAPHQL_PARSE_FAILED (400).
    maxTokens: { enabled: false },
    costLimit: { maxCost: QUERY_LIMITS.maxCost },
    blockFieldSuggestion: { enabled: !introspection },
  });
}

/** Valid documents remembered by a checker, most recently used kept. */
const CHECKED_DOCUMENTS = 500;

export type Checked = { document: DocumentNode } | { errors: GraphQLError[] };

/**
 * Parses and validates the operations that do not pass through Apollo (WebSocket operations, and
 * HTTP's fast path) with the same rules as Apollo: graphql-js's, the query limits, and no
 * introspection unless it is enabled. It remembers the documents that passed, as Apollo does:
 * every client of the web app sends the same subscription, and after a restart thousands
 * reconnect at once, where validating each one again was most of the work of subscribing.
 * Failures are not remembered, so garbage cannot crowd out the real documents.
 */
export function documentChecker(schema: GraphQLSchema, armor: ApolloArmor, introspection: boolean): (query: string) => Checked {
  const rules = [...specifiedRules, ...armor.protect().validationRules, ...(introspection ? [] : [NoSchemaIntrospectionCustomRule])];
  const valid = new Map<string, { document: DocumentNode }>();
  return (query) => {
    const known = valid.get(query);
    if (known !== undefined) {
      valid.delete(query);
      valid.set(query, known);
      return known;
    }
    const checked = parseAndValidate(schema, query, rules);
    if ('document' in checked) {
      if (valid.size >= CHECKED_DOCUMENTS) valid.delete(valid.keys().next().value!);
      valid.set(query, checked);
    }
    return checked;
  };
}

/** Parses and validates a document; returns the document or the errors to send. */
function parseAndValidate(schema: GraphQLSchema, query: string, rules: Parameters<typeof validate>[2]): Checked {
  let document: DocumentNode;
  try {
    document = parse(query, { maxTokens: QUERY_LIMITS.maxTokens });
  } catch (error) {
    const message = error instanceof GraphQLError ? error.message : 'Invalid query';
    return { errors: [new GraphQLError(message, { extensions: { code: 'GRAPHQL_PARSE_FAILED' } })] };
  }
  // The same codes as Apollo gives over HTTP, whatever graphql-armor set.
  const errors = validate(schema, document, rules).map(
    (e) => new GraphQLError(e.message, { nodes: e.nodes, extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }),
  );
  return errors.length > 0 ? { errors } : { document };
}
