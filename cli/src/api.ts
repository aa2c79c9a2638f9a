import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { CliError, ExitCode } from './exit-codes.js';

interface GraphQLResponse<T> {
  data?: T | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

/** Words for a failed connection: the cause's code when Node gives one. */
function unreachable(url: string, error: unknown): CliError {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const why = cause?.code === 'ECONNREFUSED' ? 'connection refused' : (cause?.code ?? cause?.message ?? (error as Error).message);
  return new CliError('NETWORK', `cannot reach ${url}: ${why}`, ExitCode.Error, 'is the server running? check GPUAAS_URL or `gpuaas login --url`');
}

/** The first error of a GraphQL answer as a CliError with the API's code. */
function firstError(errors: NonNullable<GraphQLResponse<unknown>['errors']>): CliError {
  const [error] = errors;
  return new CliError(error?.extensions?.code ?? 'INTERNAL_SERVER_ERROR', error?.message ?? 'unknown error');
}

/** The gpuaas API as the command-line client uses it: typed operations over HTTP and WebSocket. */
export class Api {
  private readonly printed = new Map<unknown, string>();

  constructor(
    readonly url: string,
    private readonly token: string | undefined,
  ) {}

  private text(document: TypedDocumentNode<unknown, unknown>): string {
    let text = this.printed.get(document);
    if (text === undefined) this.printed.set(document, (text = print(document)));
    return text;
  }

  /** Sends one operation over HTTP POST; its data, or a CliError with the API's code. */
  async request<T, V>(document: TypedDocumentNode<T, V>, variables: V, token = this.token): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${this.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ query: this.text(document as TypedDocumentNode<unknown, unknown>), variables }),
      });
    } catch (error) {
      throw unreachable(this.url, error);
    }
    let body: GraphQLResponse<T>;
    try {
      body = (await res.json()) as GraphQLResponse<T>;
    } catch {
      throw new CliError('NETWORK', `${this.url} did not answer as a gpuaas server (HTTP ${res.status})`, ExitCode.Error);
    }
    if (body.errors?.length) throw firstError(body.errors);
    if (!body.data) throw new CliError('INTERNAL_SERVER_ERROR', `empty answer (HTTP ${res.status})`);
    return body.data;
  }

  /**
   * Opens a WebSocket (graphql-transport-ws) with the token, for live operations. `onClosed`
   * hears an unexpected close, such as the token being revoked (4403).
   */
  socket(onClosed: (error: CliError) => void): Client {
    return createClient({
      url: `${this.url.replace(/^http/, 'ws')}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: this.token ? { authorization: `Bearer ${this.token}` } : {},
      retryAttempts: 5,
      shouldRetry: (event) => (event as { code?: number }).code !== 4403,
      on: {
        closed: (event) => {
          const { code, reason } = event as { code?: number; reason?: string };
          if (code === 4403) onClosed(new CliError('UNAUTHENTICATED', reason || 'the server refused the token'));
        },
      },
    });
  }

  /** Subscribes on `client`; each result's data to `next`, an error to `error`. Returns the unsubscribe. */
  subscribe<T, V>(client: Client, document: TypedDocumentNode<T, V>, variables: V, next: (data: T) => void, error: (e: CliError) => void): () => void {
    return client.subscribe<T>(
      { query: this.text(document as TypedDocumentNode<unknown, unknown>), variables: variables as Record<string, unknown> },
      {
        next: (result) => {
          if (result.errors?.length) error(firstError(result.errors as NonNullable<GraphQLResponse<unknown>['errors']>));
          else if (result.data) next(result.data as T);
        },
        error: (e) => {
          if (e instanceof CliError) error(e);
          else if (Array.isArray(e)) error(firstError(e));
          else if (e instanceof Error) error(unreachable(this.url, e));
          else error(new CliError('NETWORK', `the live connection to ${this.url} closed`, ExitCode.Error));
        },
        complete: () => {},
      },
    );
  }
}
