/**
 * Usage accounting in the browser: the admin's Usage tab (a month's table and stacked bars, a
 * month with nothing, the CSV downloaded with the session's token and read back with a CSV
 * parser), the user's cost preview priced at the GPU type's billing weight, their 12-month
 * history, and the quota meter following an admin's new limit live. In English and Persian, with
 * axe-core on each page shown.
 */
import { readFile } from 'node:fs/promises';
import { parse } from 'csv-parse/sync';
import { describe, expect, test } from 'vitest';
import { JobStatus } from '../../common/job-status.js';
import { jobIn, setQuota } from '../../server/test/factories.js';
import { ADMIN_EMAIL, ADMIN_PASSWORD } from '../../server/test/harness.js';
import { expectAccessible } from './accessibility.js';
import {
  APP_LOCALES,
  fillJobForm,
  quotaOf,
  registerThroughUi,
  saveScreenshot,
  signInThroughUi,
  submitJobThroughUi,
  useBrowserApp,
  waitForLocale,
  waitLive,
} from './support.js';

describe('usage accounting in the browser', () => {
  const app = useBrowserApp(
    // H100 GPUs cost twice their GPU-hours; the simulator never ticks, so only the tests move jobs.
    { GPU_BILLING_WEIGHTS: 'H100:2', SIM_SECONDS_PER_HOUR: '0.5', SIM_TICK_MS: '3600000', EVENT_POLL_MS: '100' },
  );

  describe.each(APP_LOCALES)('in %s', (locale) => {
    test(`should show an admin the month's usage as a table and stacked bars, and download it as CSV (${locale})`, async () => {
      const owner = await app.server.register('usage-e2e');
      await jobIn(app.server, JobStatus.COMPLETED, { owner, name: 'train, "big" مدل', gpuType: 'H100', gpuCount: 2, hours: 3 });
      await jobIn(app.server, JobStatus.REJECTED, { owner, name: 'rejected', gpuType: 'A100', gpuCount: 1, hours: 2 });
      await jobIn(app.server, JobStatus.PENDING, { owner, name: 'waiting', gpuType: 'A100', gpuCount: 1, hours: 1 });

      const page = await app.pageIn(locale, 'admin');
      await signInThroughUi(page, ADMIN_EMAIL, ADMIN_PASSWORD);
      await waitForLocale(page, locale);
      await page.goto('/admin?tab=usage');
      const h100 = page.locator(`[data-testid="usage-row"][data-email="${owner.email}"][data-gpu-type="H100"]`);
      const a100 = page.locator(`[data-testid="usage-row"][data-email="${owner.email}"][data-gpu-type="A100"]`);
      await h100.waitFor();
      await a100.waitFor();
      // 2 GPUs × 3 h × weight 2 reserved on H100; on A100 one job rejected (refunded whole) and one open.
      expect(await h100.getByTestId('usage-reserved').textContent()).toBe(locale === 'en' ? '12' : '۱۲');
      expect(await a100.getByTestId('usage-jobs').textContent()).toBe(locale === 'en' ? '2' : '۲');
      expect(await a100.getByTestId('usage-refunded').textContent()).toBe(locale === 'en' ? '2' : '۲');
      await expect.poll(async () => Number(await page.getByTestId('usage-chart').getAttribute('data-bars'))).toBeGreaterThan(0);
      await page.locator('[data-testid="usage-chart"] canvas').waitFor();
      await expectAccessible(page, `admin, usage, ${locale}`);
      await saveScreenshot(page, `usage tab ${locale}`);

      // The download goes through fetch with the bearer token, then to the browser as a file.
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('usage-download').click()]);
      const month = new Date().toISOString().slice(0, 7);
      expect(download.suggestedFilename()).toBe(`usage-${month}.csv`);
      const records = parse(await readFile((await download.path())!, 'utf8'), { columns: true, record_delimiter: '\r\n' }) as Record<string, string>[];
      const mine = records.filter((r) => r.email === owner.email).sort((a, b) => a.gpu_type!.localeCompare(b.gpu_type!));
      expect(mine.map((r) => [r.gpu_type, r.jobs, r.reserved_gpu_hours, r.rejected])).toEqual([
        ['A100', '2', '3', '1'],
        ['H100', '1', '12', '0'],
      ]);
      await page.getByTestId('usage-downloaded').waitFor();

      const [jobsFile] = await Promise.all([page.waitForEvent('download'), page.getByTestId('usage-download-jobs').click()]);
      const jobs = parse(await readFile((await jobsFile.path())!, 'utf8'), { columns: true, record_delimiter: '\r\n' }) as Record<string, string>[];
      expect(jobs.filter((r) => r.email === owner.email).map((r) => r.job_name).sort()).toEqual(['rejected', 'train, "big" مدل', 'waiting']);

      // A month without jobs says so.
      await page.getByTestId('usage-month').fill('2001-01');
      await page.getByTestId('usage-empty').waitFor();
      await expectAccessible(page, `admin, usage of an empty month, ${locale}`);
    });

    test(`should price the cost preview at the GPU type's weight, chart the user's months and follow a new limit live (${locale})`, async () => {
      const page = await app.pageIn(locale);
      const user = await registerThroughUi(page, 'usage-e2e');
      await waitForLocale(page, locale);
      await waitLive(page);

      await fillJobForm(page, { name: 'weighted', gpuType: 'H100', gpuCount: 2, hours: 3 });
      await expect.poll(() => page.getByTestId('cost-preview').getAttribute('data-gpu-hours')).toBe('12');
      await page.getByTestId('cost-weight').waitFor();
      await fillJobForm(page, { name: 'plain', gpuType: 'A100', gpuCount: 2, hours: 3 });
      await expect.poll(() => page.getByTestId('cost-preview').getAttribute('data-gpu-hours')).toBe('6');
      expect(await page.getByTestId('cost-weight').count()).toBe(0);

      await submitJobThroughUi(page, { name: 'weighted', gpuType: 'H100', gpuCount: 2, hours: 3 });
      await expect.poll(async () => (await quotaOf(page)).used).toBe(12);
      await page.locator('[data-testid="usage-history-chart"] canvas').waitFor();
      await page.getByTestId('usage-history-summary').waitFor();
      await expectAccessible(page, `dashboard with usage history and a weighted cost, ${locale}`);

      // An admin's new limit reaches the meter without a reload.
      expect((await setQuota(app.server, user.id, 250)).errors).toBeUndefined();
      await expect.poll(async () => (await quotaOf(page)).limit, { timeout: 15_000 }).toBe(250);
      expect((await quotaOf(page)).remaining).toBe(238);
    });
  });
});
