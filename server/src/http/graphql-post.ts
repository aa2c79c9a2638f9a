/**
 * `POST /graphql`, the API's hot path, on node:http without Express: read and parse the body
 * (100 kB at most), answer it on the fast path (`graphql-fast-path.ts`) or else hand it to
 * Apollo's `executeHTTPGraphQLRequest`, write the answer in one `end`. Everything else (GET /graphql, GraphiQL, the web app, health and metrics) goes through
 * Express, where its conveniences cost nothing that matters. The guarantees are the same on both
 * paths: the security headers and CORS (`security.ts`), the request id and its log line
 * (`request-log.ts`), body limits and errors in GraphQL's shape, the client address as Express
 * reads it behind `TRUST_PROXY`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HeaderMap, type ApolloServer, type HTTPGraphQLRequest } from '@apollo/server';
import proxyaddr from 'proxy-addr';
import type { GraphQLContext } from '../graphql/context.js';
import type { Logger } from '../logger.js';
import { startRequestLog, type RequestLocals } from '../observability/request-log.js';
import type { GraphQLFastPath } from './graphql-fast-path.js';
import { applyCors, setSecurityHeaders } from './security.js';

/** The largest body `/graphql` reads (as Express's `json({ limit: '100kb' })`). */
export const BODY_LIMIT_BYTES = 100 * 1024;

/** A request that failed before GraphQL saw it, answered in GraphQL's error shape. */
export class BodyError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The client address, as Express's `req.ip` gives it for the same `trust proxy` setting. */
export function clientAddressOf(trustProxy: boolean | number | string): (req: IncomingMessage) => string {
  let trust: (address: string, hop: number) => boolean;
  if (trustProxy === true) trust = () => true;
  else if (typeof trustProxy === 'number') trust = (_address, hop) => hop < trustProxy;
  else if (typeof trustProxy === 'string') trust = proxyaddr.compile(trustProxy.split(',').map((a) => a.trim()));
  else trust = proxyaddr.compile([]);
  return (req) => proxyaddr(req, trust);
}

/** The first non-blank character of a strict JSON body must open an object or an array. */
const STRICT_JSON = /^[ \t\n\r]*[[{]/;

/**
 * Reads a JSON body as Express's `json()` does: only `application/json` is parsed (anything else
 * leaves the body unset, for Apollo to refuse), in UTF-8, identity-encoded, at most `limit` bytes,
 * an object or an array; an empty body is `{}`.
 *
 * @throws BodyError 413 when too large, 415 for another charset or encoding, 400 for bad JSON.
 */
export async function readJsonBody(req: IncomingMessage, limit = BODY_LIMIT_BYTES): Promise<unknown> {
  const type = req.headers['content-type'];
  const [media = '', ...params] = (type ?? '').split(';');
  if (media.trim().toLowerCase() !== 'application/json') {
    req.resume();
    return undefined;
  }
  const charset = params.map((p) => p.trim().toLowerCase()).find((p) => p.startsWith('charset='))?.slice(8).replace(/"/g, '');
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') throw new BodyError(415, 'The request could not be read');
  const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
  if (encoding !== 'identity') throw new BodyError(415, 'The request could not be read');
  const declared = Number(req.headers['content-length'] ?? Number.NaN);
  if (declared > limit) throw new BodyError(413, 'The request body is too large');

  const chunks: Buffer[] = [];
  let size = 0;
  await new Promise<void>((resolve, reject) => {
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        reject(new BodyError(413, 'The request body is too large'));
        return;
      }
      chunks.push(chunk);
    });
    req.once('end', resolve);
    req.once('error', () => reject(new BodyError(400, 'The request could not be read')));
  });
  const text = chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8');
  if (text.length === 0) return {};
  if (!STRICT_JSON.test(text)) throw new BodyError(400, 'The request body is not valid JSON');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new BodyError(400, 'The request body is not valid JSON');
  }
}

function sendJson(res: ServerResponse, status: number, body: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body);
}

export interface GraphQLPostOptions {
  apollo: ApolloServer<GraphQLContext>;
  log: Logger;
  corsOrigins: readonly string[];
  trustProxy: boolean | number | string;
  /** The operation's context, from its request's locals and client address. */
  context: (req: IncomingMessage, locals: RequestLocals, clientAddress: string) => Promise<GraphQLContext>;
  /** Answers plain operations of validated documents before Apollo (`GRAPHQL_FAST_PATH`). */
  fastPath?: GraphQLFastPath;
  /** Counts each request by the path that answered it. */
  count?: (path: 'fast' | 'apollo') => void;
}

/** The handler of `POST /graphql`. */
export function graphqlPost(options: GraphQLPostOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const { apollo, log, fastPath } = options;
  const allowed = new Set(options.corsOrigins);
  const addressOf = clientAddressOf(options.trustProxy);
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const locals = startRequestLog(log, req, res);
    setSecurityHeaders(res);
    applyCors(req, res, allowed);
    let body: unknown;
    try {
      body = await readJsonBody(req);
    } catch (error) {
      if (!(error instanceof BodyError)) throw error;
      sendJson(res, error.status, JSON.stringify({ errors: [{ message: error.message, extensions: { code: 'BAD_REQUEST' } }] }));
      return;
    }
    // Made once, whichever path answers: the token is checked once per request.
    let context: Promise<GraphQLContext> | undefined;
    const contextOnce = () => (context ??= options.context(req, locals, addressOf(req)));
    const fast = await fastPath?.answer(body, req.headers.accept, contextOnce);
    if (fast) {
      options.count?.('fast');
      for (const [key, value] of fast.headers) res.setHeader(key, value);
      res.statusCode = fast.status;
      res.setHeader('Content-Length', Buffer.byteLength(fast.body));
      res.end(fast.body);
      return;
    }
    options.count?.('apollo');
    const headers = new HeaderMap();
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
    }
    const url = req.url ?? '/';
    const query = url.indexOf('?');
    const request: HTTPGraphQLRequest = { method: 'POST', headers, search: query < 0 ? '' : url.slice(query), body };
    const answer = await apollo.executeHTTPGraphQLRequest({ httpGraphQLRequest: request, context: contextOnce });
    for (const [key, value] of answer.headers) res.setHeader(key, value);
    res.statusCode = answer.status ?? 200;
    if (answer.body.kind === 'complete') {
      res.setHeader('Content-Length', Buffer.byteLength(answer.body.string));
      res.end(answer.body.string);
      return;
    }
    for await (const chunk of answer.body.asyncIterator) res.write(chunk);
    res.end();
  };
  return (req, res) => {
    handle(req, res).catch((error: unknown) => {
      log.error({ err: error }, 'Unexpected error outside GraphQL');
      if (!res.headersSent) sendJson(res, 500, JSON.stringify({ errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] }));
      else res.destroy();
    });
  };
}
