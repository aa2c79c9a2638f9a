import { ApolloClient, ApolloLink, HttpLink, InMemoryCache, type FieldMergeFunction, type Reference } from '@apollo/client';
import { SetContextLink } from '@apollo/client/link/context';
import { ErrorLink } from '@apollo/client/link/error';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { getOperationAST, type DocumentNode } from 'graphql';
import type { Client } from 'graphql-ws';
import { throwError } from 'rxjs';
import { endSession, session } from '../features/auth/session';
import { LoginDocument, RegisterDocument } from '../generated/graphql';
import { ErrorCode, hasErrorCode } from './errors';
import { currentSocketClient } from './socket';

/** Operations that sign in: they never carry a token, and their UNAUTHENTICATED means a bad password. */
const SIGN_IN_OPERATIONS: ReadonlySet<string> = new Set(
  [LoginDocument, RegisterDocument].map((document: DocumentNode) => getOperationAST(document)?.name?.value ?? ''),
);

interface StoredConnection {
  edges: readonly { cursor: string; node: Reference }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  totalCount: number;
}

/** A first page replaces what was stored; a later page (`after`) is appended, without duplicates. */
const mergePages: FieldMergeFunction<StoredConnection, StoredConnection> = (existing, incoming, { args }) => {
  if (!existing || !args?.after) return incoming;
  const seen = new Set(existing.edges.map((edge) => edge.node.__ref));
  return { ...incoming, edges: [...existing.edges, ...incoming.edges.filter((edge) => !seen.has(edge.node.__ref))] };
};

/** The cache: jobs lists are stored per filter (see `job-cache.ts`), pages merged. */
export function createCache(): InMemoryCache {
  return new InMemoryCache({
    typePolicies: {
      Query: {
        fields: {
          jobs: { keyArgs: ['filter', ['status', 'userId']], merge: mergePages },
          users: { keyArgs: ['search'], merge: mergePages },
          notifications: { keyArgs: false, merge: mergePages },
        },
      },
      // Quotas have no id: they live inside their User and are replaced field by field.
      Quota: { keyFields: false, merge: true },
      Job: { fields: { events: { merge: false } } },
    },
  });
}

/** Sends the session's token with every operation but sign-in, and marks the operation as authenticated. */
const authLink = new SetContextLink((previous, operation) => {
  const token = session.token;
  if (!token || SIGN_IN_OPERATIONS.has(operation.operationName ?? '')) return {};
  return { authenticated: true, headers: { ...previous.headers, authorization: `Bearer ${token}` } };
});

/** Any UNAUTHENTICATED answer to an authenticated operation means the token is no longer good. */
const sessionExpiryLink = new ErrorLink(({ error, operation }) => {
  if (operation.getContext().authenticated && hasErrorCode(error, ErrorCode.UNAUTHENTICATED)) {
    endSession('expired');
  }
});

const wsLinks = new WeakMap<Client, GraphQLWsLink>();

/** Subscriptions go to the session's socket; there is none before login. */
const socketLink = new ApolloLink((operation) => {
  const client = currentSocketClient();
  if (!client) return throwError(() => new Error('Not connected: sign in first'));
  let link = wsLinks.get(client);
  if (!link) {
    link = new GraphQLWsLink(client);
    wsLinks.set(client, link);
  }
  return link.request(operation);
});

const httpLink = new HttpLink({ uri: '/graphql' });

/** The app's Apollo Client: HTTP for queries and mutations, graphql-ws for the subscription. */
export const apolloClient = new ApolloClient({
  cache: createCache(),
  link: ApolloLink.from([
    sessionExpiryLink,
    ApolloLink.split((operation) => operation.operationType === 'subscription', socketLink, ApolloLink.from([authLink, httpLink])),
  ]),
});

declare module '@apollo/client' {
  interface DefaultContext {
    /** Set when the operation was sent with the session's token. */
    authenticated?: boolean;
  }
}
