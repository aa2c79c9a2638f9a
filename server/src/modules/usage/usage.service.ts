import type { Config } from '../../config.js';
import type { Sql } from '../../db/sql.js';
import { badUserInput } from '../../errors/app-error.js';
import { requireAdmin, requireViewer, type Viewer } from '../auth/viewer.js';
import type { GpuCatalogue } from '../cluster/gpu-catalogue.js';
import { billingWeightOf } from '../quotas/quota-math.js';
import { USAGE_COLUMNS, crlfRecords, csvLine, usageLine, type CsvScan } from './usage-csv.js';
import { MAX_HISTORY_MONTHS, checkMonth, fillMonths, lastMonths } from './usage-month.js';
import {
  copyMonthJobs,
  monthUsage,
  ownerMonths,
  streamMonthUsage,
  type MonthUsageRecord,
  type UsageRecord,
} from './usage.queries.js';

/** Summary rows read from the cursor, and written to the response, at a time. */
export const CSV_BATCH_ROWS = 1000;

/** What the CSV export lists: a row per user and GPU type, or a row per job. */
export type CsvDetail = 'summary' | 'jobs';

/** Some CSV text and the data rows in it (0 for the header row). */
export interface CsvChunk {
  text: string | Uint8Array;
  rows: number;
}

/** A checked CSV export, ready to stream. */
export interface CsvExport {
  /** The download's file name, e.g. `usage-2026-12.csv`. */
  filename: string;
  detail: CsvDetail;
  /** The text in chunks: the header row, then a chunk per batch of rows. */
  chunks: AsyncGenerator<CsvChunk, void, undefined>;
}

/** A GPU type of the catalogue with its billing weight. */
export interface BillingWeightView {
  gpuType: string;
  weight: number;
}

/** Usage accounting: who used what, per month, and the billing weights that price it. */
export class UsageService {
  constructor(
    private readonly sql: Sql,
    private readonly config: Config,
    private readonly catalogue: GpuCatalogue,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /**
   * A month's usage per user and GPU type (admins).
   *
   * @throws AppError FORBIDDEN for a user, BAD_USER_INPUT (field `month`) unless `YYYY-MM`.
   */
  async usage(viewer: Viewer | null, month: string): Promise<UsageRecord[]> {
    requireAdmin(viewer);
    return monthUsage(this.sql, checkMonth(month));
  }

  /**
   * The viewer's own totals for the last `months` months, this one included, oldest first; a
   * month without jobs shows zeros.
   *
   * @throws AppError BAD_USER_INPUT (field `months`) outside 1 to MAX_HISTORY_MONTHS.
   */
  async myUsage(viewer: Viewer | null, months: number): Promise<MonthUsageRecord[]> {
    const v = requireViewer(viewer);
    if (!Number.isInteger(months) || months < 1 || months > MAX_HISTORY_MONTHS) {
      throw badUserInput('months', `must be an integer from 1 to ${MAX_HISTORY_MONTHS}`);
    }
    const list = lastMonths(this.now(), months);
    return fillMonths(list, await ownerMonths(this.sql, v.id, list));
  }

  /** Each GPU type that has a node, with the billing weight a job on it is priced at now. */
  async billingWeights(): Promise<BillingWeightView[]> {
    return [...(await this.catalogue.get()).keys()].map((gpuType) => ({ gpuType, weight: billingWeightOf(this.config.billingWeights, gpuType) }));
  }

  /**
   * Checks a CSV export's request and returns it ready to stream (admins). Nothing is read before
   * the first chunk is asked for, so a refused request costs no query.
   *
   * @throws AppError UNAUTHENTICATED, FORBIDDEN, or BAD_USER_INPUT for a month that is not
   *   `YYYY-MM` or a `detail` other than `summary` or `jobs`.
   */
  csv(viewer: Viewer | null, month: string | undefined, detail: string | undefined): CsvExport {
    requireAdmin(viewer);
    if (month === undefined) throw badUserInput('month', 'is required, as YYYY-MM, such as 2026-03');
    const m = checkMonth(month);
    const d = detail === undefined || detail === '' ? 'summary' : detail;
    if (d !== 'summary' && d !== 'jobs') throw badUserInput('detail', 'must be summary or jobs');
    return {
      filename: d === 'jobs' ? `usage-${m}-jobs.csv` : `usage-${m}.csv`,
      detail: d,
      chunks: d === 'jobs' ? this.jobChunks(m) : this.summaryChunks(m),
    };
  }

  private async *summaryChunks(month: string): AsyncGenerator<CsvChunk, void, undefined> {
    yield { text: csvLine(USAGE_COLUMNS), rows: 0 };
    for await (const rows of streamMonthUsage(this.sql, month, CSV_BATCH_ROWS)) {
      yield { text: rows.map((r) => usageLine(month, r)).join(''), rows: rows.length };
    }
  }

  /**
   * A row per job: PostgreSQL writes the CSV (COPY), this only puts CRLF where it ends records,
   * so a month of a million jobs passes through as buffers, never as a million objects.
   */
  private async *jobChunks(month: string): AsyncGenerator<CsvChunk, void, undefined> {
    const scan: CsvScan = { quoted: false, records: 0 };
    for await (const chunk of copyMonthJobs(this.sql, month)) {
      const before = scan.records;
      const text = crlfRecords(chunk, scan);
      // The first record is the header row.
      yield { text, rows: scan.records - before - (before === 0 && scan.records > 0 ? 1 : 0) };
    }
  }
}
