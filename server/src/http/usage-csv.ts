/**
 * `GET /api/usage.csv?month=YYYY-MM[&detail=jobs]`: a month's usage as RFC 4180 CSV, for admins
 * with a bearer token, streamed from the database (a cursor for the summary, COPY for the rows of
 * every job) a chunk at a time with the socket's backpressure respected, so a month of any size
 * costs the process a chunk of memory.
 *
 * Errors before the first byte answer in GraphQL's error shape with a status: 401 without a
 * valid token, 403 for a user, 400 for a bad month or detail. An error after the first byte can
 * only cut the download short (the status is sent): it is logged, and the response destroyed so
 * that the client sees an incomplete transfer rather than a short file that looks whole.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AppError, ErrorCode } from '../errors/app-error.js';
import type { Logger } from '../logger.js';
import type { Viewer } from '../modules/auth/viewer.js';
import type { Services } from '../services.js';
import type { Metrics } from '../observability/metrics.js';

/** What the route needs of the app. */
export interface UsageCsvDeps {
  /** The viewer a request's `Authorization` header names, or null. */
  viewerOf: (authorization: string | undefined) => Promise<Viewer | null>;
  services: () => Services;
  metrics: Metrics;
  log: Logger;
}

const STATUS: Partial<Record<ErrorCode, number>> = {
  [ErrorCode.UNAUTHENTICATED]: 401,
  [ErrorCode.FORBIDDEN]: 403,
  [ErrorCode.BAD_USER_INPUT]: 400,
};

function refuse(res: ServerResponse, error: AppError): void {
  const status = STATUS[error.code] ?? 400;
  if (status === 401) res.setHeader('www-authenticate', 'Bearer');
  res.statusCode = status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.end(JSON.stringify({ errors: [{ message: error.message, extensions: { ...error.details, code: error.code } }] }));
}

/** One query parameter given once, or undefined; an array (given twice) is refused by the check. */
function param(url: URL, name: string): string | undefined {
  const values = url.searchParams.getAll(name);
  return values.length === 1 ? values[0] : values.length === 0 ? undefined : '';
}

/**
 * Resolves when `res` can take more (drain) or is gone (close), and leaves no listener behind:
 * a long export waits for drain thousands of times, and a `once(res, 'close')` per wait stayed
 * registered until the response closed.
 */
function drainedOrClosed(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/** The route's handler. */
export function usageCsv(deps: UsageCsvDeps) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    let detail = 'summary';
    let exported;
    try {
      const viewer = await deps.viewerOf(req.headers.authorization);
      exported = deps.services().usage.csv(viewer, param(url, 'month'), param(url, 'detail'));
      detail = exported.detail;
    } catch (error) {
      if (error instanceof AppError) {
        deps.metrics.countUsageExport(detail, 'refused');
        refuse(res, error);
        return;
      }
      throw error;
    }

    res.statusCode = 200;
    res.setHeader('content-type', 'text/csv; charset=utf-8; header=present');
    res.setHeader('content-disposition', `attachment; filename="${exported.filename}"`);
    res.setHeader('cache-control', 'no-store');
    let aborted = false;
    res.once('close', () => {
      if (!res.writableFinished) aborted = true;
    });
    let rows = 0;
    try {
      for await (const chunk of exported.chunks) {
        if (aborted) break; // ends the generator, which closes the cursor and frees its connection
        rows += chunk.rows;
        if (!res.write(chunk.text)) await drainedOrClosed(res);
      }
      if (aborted) {
        deps.metrics.countUsageExport(detail, 'aborted');
        return;
      }
      res.end();
      deps.metrics.countUsageExport(detail, 'ok');
    } catch (error) {
      deps.log.error({ err: error }, 'The usage CSV export failed while streaming');
      deps.metrics.countUsageExport(detail, 'error');
      res.destroy();
    } finally {
      if (rows > 0) deps.metrics.countUsageExportRows(detail, rows);
    }
  };
}
