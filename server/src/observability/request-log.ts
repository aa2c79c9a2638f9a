import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler, Response } from 'express';
import { unredactedLogger, type Logger } from '../logger.js';

/** What the request-logging middleware leaves on `res.locals` for later handlers. */
export interface RequestLocals {
  requestId: string;
  /** The request's logger, carrying its request id. */
  log: Logger;
  /** Set once the request's token is checked. */
  userId?: string;
  /** The GraphQL operation the request carried, written on its one log line. */
  operation?: Record<string, unknown>;
}

/** A caller's request id is kept only if it looks like one (no log injection). */
const REQUEST_ID = /^[A-Za-z0-9._-]{8,64}$/;

/** Paths probed by orchestrators and scrapers, logged at debug level only. */
const QUIET = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * Starts the log of one request: gives it an id (the caller's `X-Request-Id` when well-formed,
 * else a new UUID), echoes it in the response, binds it to a child logger for whatever else the
 * request logs, and logs one line when the response is sent: method, path (never the query
 * string, which may hold a token), status, duration, the user id when known and the GraphQL
 * operation (name, type, its own duration and error codes), set on the returned locals.
 *
 * @param url the path as the client sent it (a mounted router may have rewritten `req.url`).
 */
export function startRequestLog(log: Logger, req: IncomingMessage, res: ServerResponse, url = req.url ?? '/'): RequestLocals {
  const given = req.headers['x-request-id'];
  const requestId = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
  const started = process.hrtime.bigint();
  let child: Logger | undefined;
  const locals: RequestLocals = {
    requestId,
    // Made on first use: most requests log only their one line, which needs no child logger.
    get log() {
      return (child ??= log.child({ requestId }));
    },
  };
  res.setHeader('X-Request-Id', requestId);
  res.on('finish', () => {
    const path = url.split('?')[0]!;
    const fields = {
      requestId,
      method: req.method,
      path,
      status: res.statusCode,
      durationMs: Math.round(Number(process.hrtime.bigint() - started) / 1e5) / 10,
      userId: locals.userId,
      ...locals.operation,
    };
    // Every field above is named here and none holds a credential (the path has no query string).
    if (QUIET.has(path)) unredactedLogger(log).debug(fields, 'HTTP request');
    else unredactedLogger(log).info(fields, 'HTTP request');
  });
  return locals;
}

/** `startRequestLog` as Express middleware, leaving its locals on `res.locals`. */
export function requestLogging(log: Logger): RequestHandler {
  return (req, response, next) => {
    const res = response as Response<unknown, RequestLocals>;
    const locals = startRequestLog(log, req, res, req.originalUrl);
    res.locals.requestId = locals.requestId;
    // The finish line reads what later handlers set on the same object.
    for (const key of ['log', 'userId', 'operation'] as const) {
      Object.defineProperty(res.locals, key, {
        get: () => locals[key],
        set: (value: never) => (locals[key] = value),
        enumerable: true,
        configurable: true,
      });
    }
    next();
  };
}
