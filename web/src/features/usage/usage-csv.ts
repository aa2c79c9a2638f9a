import type { OperationProblem } from '../../apollo/errors';
import { session } from '../auth/session';

/** Why a download failed, as the app describes any server's refusal (a null code: the network). */
export class CsvDownloadError extends Error {
  constructor(readonly problem: OperationProblem) {
    super(problem.message);
    this.name = 'CsvDownloadError';
  }
}

/** The address of a month's usage CSV (`detail=jobs`: a row per job). */
export function usageCsvUrl(month: string, detail: 'summary' | 'jobs' = 'summary'): string {
  const query = new URLSearchParams({ month });
  if (detail === 'jobs') query.set('detail', 'jobs');
  return `/api/usage.csv?${query.toString()}`;
}

/**
 * Downloads a month's usage CSV with the session's bearer token (a plain link could not send it),
 * then hands it to the browser as a file named as the server names it.
 *
 * @throws CsvDownloadError with the server's problem (FORBIDDEN, BAD_USER_INPUT, …) or a network one.
 */
export async function downloadUsageCsv(month: string, detail: 'summary' | 'jobs' = 'summary'): Promise<string> {
  let res: Response;
  try {
    res = await fetch(usageCsvUrl(month, detail), { headers: session.token ? { authorization: `Bearer ${session.token}` } : {} });
  } catch {
    throw new CsvDownloadError({ code: null, message: 'The server could not be reached', field: null, extensions: {} });
  }
  if (!res.ok) {
    const body = (await res.json().catch(() => null)) as { errors?: { message: string; extensions?: Record<string, unknown> }[] } | null;
    const error = body?.errors?.[0];
    const extensions = error?.extensions ?? {};
    throw new CsvDownloadError({
      code: typeof extensions.code === 'string' ? extensions.code : 'INTERNAL_SERVER_ERROR',
      message: error?.message ?? res.statusText,
      field: typeof extensions.field === 'string' ? extensions.field : null,
      extensions,
    });
  }
  const filename = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? `usage-${month}.csv`;
  const url = URL.createObjectURL(await res.blob());
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  return filename;
}
