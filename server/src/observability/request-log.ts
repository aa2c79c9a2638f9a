import { randomUUID } from 'node:crypto';
import type { RequestHandler, Response } from 'express';
import type { Logger } from '../logger.js';

/** What the request-logging middleware leaves on `res.locals` for later handlers. */
export interface RequestLocals {
  requestId: string;
  /** The request's logger, carrying its request id. */
  log: Logger;
  /** Set once the request's token is checked. */
  userId?: string;
}

/** A caller's request id is kept only if it looks like one (no log injection). */
const REQUEST_ID = /^[A-Za-z0-9._-]{8,64}$/;

/** Paths probed by orchestrators and scrapers, logged at debug level only. */
const QUIET = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * Gives every request an id (the caller's `X-Request-Id` when well-formed, else a new UUID),
 * echoes it in the response, binds it to a child logger, and logs one line when the response is
 * sent: method, path (never the query string, which may hold a token), status, duration and the
 * user id when known.
 */
export function requestLogging(log: Logger): RequestHandler {
  return (req, response, next) => {
    const res = response as Response<unknown, RequestLocals>;
    const given = req.get('x-request-id');
    const requestId = given && REQUEST_ID.test(given) ? given : randomUUID();
    const started = process.hrtime.bigint();
    res.locals.requestId = requestId;
    res.locals.log = log.child({ requestId });
    res.setHeader('X-Request-Id', requestId);
    res.on('finish', () => {
      const fields = {
        method: req.method,
        // originalUrl: mounted routers rewrite req.url; the query string is left out.
        path: req.originalUrl.split('?')[0],
        status: res.statusCode,
        durationMs: Math.round(Number(process.hrtime.bigint() - started) / 1e5) / 10,
        userId: res.locals.userId,
      };
      if (QUIET.has(req.originalUrl.split('?')[0]!)) res.locals.log.debug(fields, 'HTTP request');
      else res.locals.log.info(fields, 'HTTP request');
    });
    next();
  };
}
