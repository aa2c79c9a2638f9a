/**
 * The scheduler in the browser: a waiting job's place, times and reason on the dashboard, moving
 * live as the jobs ahead of it end and start; the Queue page, where an admin's change of priority
 * reorders the queue on every open page at once; and the admin's settings panel, whose AUTO mode
 * starts a waiting job by itself. Each test queues on a GPU type of its own. In English and
 * Persian, with axe-core on the pages it shows.
 */
import type { Page } from 'playwright-core';
import { describe, expect, test } from 'vitest';
import { JobStatus } from '../../common/job-status.js';
import { addNode, freshGpuType, jobIn, JOB, mustTransition, type JobView } from '../../server/test/factories.js';
import { ADMIN_EMAIL, ADMIN_PASSWORD, TEST_PASSWORD } from '../../server/test/harness.js';
import { expectAccessible } from './accessibility.js';
import {
  APP_LOCALES,
  busyGpuType,
  countLoads,
  myJobRow,
  queueOrder,
  queueRow,
  setSchedulingMode,
  type AppLocale,
  useBrowserApp,
} from './support.js';

/** Live changes reach the page within this long: a plan, a message, a refetch. */
const LIVE_MS = 15_000;

/** The words the tests look for, in `locale`, about jobs of `type`. */
function wordsOf(locale: AppLocale, type: string) {
  return locale === 'en'
    ? {
        first: `1st in the ${type} queue`,
        second: `2nd in the ${type} queue`,
        behindOne: '1 job ahead of it',
        readyManual: 'its GPUs are free: an admin can start it now',
        needsTwoNoneFree: 'needs 2 GPUs, 0 free',
        startsBy: 'starts by',
        otherJob: 'another user’s job',
        byScheduler: 'by the scheduler',
        byYou: 'by you',
        priorityRaised: 'Priority 0 → 10',
        auto: 'Automatic',
      }
    : {
        first: `اولین در صف ${type}`,
        second: `دومین در صف ${type}`,
        behindOne: '۱ کار جلوتر از آن است',
        readyManual: 'GPUهایش آزاد است: مدیر می‌تواند همین حالا آن را شروع کند',
        needsTwoNoneFree: 'به ۲ GPU نیاز دارد، ۰ آزاد است',
        startsBy: 'شروع حداکثر تا',
        otherJob: 'کار کاربری دیگر',
        byScheduler: 'توسط زمان‌بند',
        byYou: 'توسط شما',
        priorityRaised: 'اولویت ۰ ← ۱۰',
        auto: 'خودکار',
      };
}

/** What the estimate of a dashboard row says through its data attributes. */
async function estimateOf(page: Page, jobId: string): Promise<{ position: string | null; reason: string | null }> {
  const estimate = myJobRow(page, jobId).getByTestId('job-estimate');
  if ((await estimate.count()) === 0) return { position: null, reason: null };
  return { position: await estimate.getAttribute('data-position'), reason: await estimate.getAttribute('data-reason') };
}

/** The estimate's words in a dashboard row, spaces made plain. */
async function estimateWords(page: Page, jobId: string): Promise<string> {
  const text = await myJobRow(page, jobId).getByTestId('job-estimate').textContent();
  return (text ?? '').replace(/\s+/g, ' ').trim();
}

describe('the scheduler in the browser', () => {
  const app = useBrowserApp(
    // API and worker in one process, so the scheduler runs. Every run succeeds after at least
    // half its hours, at 10 s an hour: a 40-hour job holds its node for 200 s or more.
    { SIM_SECONDS_PER_HOUR: '10', SIM_TICK_MS: '500', SIM_SUCCESS_RATE: '1', EVENT_POLL_MS: '100' },
    'all',
    // The settings are the server's, shared by every test of the file.
    { afterEachTest: () => setSchedulingMode(app.server, 'MANUAL') },
  );

  describe.each(APP_LOCALES)('in %s', (locale) => {
    test(`should show a waiting job's place, times and reason on the dashboard, and move them live as the jobs ahead end and start (${locale})`, async () => {
      const { gpuType, running } = await busyGpuType(app.server, 'W');
      const words = wordsOf(locale, gpuType);
      const owner = await app.server.register('waiting');
      const first = await jobIn(app.server, JobStatus.APPROVED, { owner, gpuType, gpuCount: 2, hours: 10, name: 'first in line' });
      const second = await jobIn(app.server, JobStatus.APPROVED, { owner, gpuType, gpuCount: 2, hours: 10, name: 'second in line' });
      const page = await app.signedIn(locale, owner.email, TEST_PASSWORD);
      await myJobRow(page, second.id).getByTestId('job-estimate').waitFor();
      const loads = countLoads(page);

      // Behind the running job's whole time limit: the first waits for GPUs, the second behind it.
      await expect.poll(() => estimateOf(page, first.id)).toEqual({ position: '1', reason: 'WAITING_FOR_GPUS' });
      await expect.poll(() => estimateOf(page, second.id)).toEqual({ position: '2', reason: 'BEHIND_HIGHER_PRIORITY' });
      const secondWords = await estimateWords(page, second.id);
      expect(secondWords).toContain(words.second);
      expect(secondWords).toContain(words.behindOne);
      expect(secondWords).toContain(words.startsBy);
      expect(await estimateWords(page, first.id)).toContain(words.needsTwoNoneFree);
      await expect(myJobRow(page, second.id).getByTestId('estimate-start-by').getAttribute('datetime')).resolves.toMatch(/^\d{4}-\d\d-\d\dT/);
      await expectAccessible(page, `dashboard with waiting jobs, ${locale}`);

      // The admin completes the running job (MANUAL): the first job's GPUs are free, an admin may start it.
      const admin = await app.server.loginAdmin();
      await mustTransition(app.server, 'complete', running.id, admin.token);
      await expect.poll(() => estimateOf(page, first.id), { timeout: LIVE_MS }).toEqual({ position: '1', reason: 'AWAITING_START' });
      await expect.poll(() => estimateWords(page, first.id)).toContain(words.readyManual);

      // The admin starts it: the second moves to the head, waiting for the GPUs the first now holds.
      await mustTransition(app.server, 'start', first.id, admin.token);
      await myJobRow(page, first.id, JobStatus.RUNNING).waitFor({ timeout: LIVE_MS });
      await expect(myJobRow(page, first.id).getByTestId('job-estimate').count()).resolves.toBe(0);
      await expect.poll(() => estimateOf(page, second.id), { timeout: LIVE_MS }).toEqual({ position: '1', reason: 'WAITING_FOR_GPUS' });
      await expect.poll(() => estimateWords(page, second.id)).toContain(words.first);
      expect(await estimateWords(page, second.id)).toContain(words.needsTwoNoneFree);
      expect(loads()).toBe(0);

      // The job's own page says the same, in its details.
      await myJobRow(page, second.id).getByTestId('job-link').click();
      await page.locator(`[data-testid="job-detail"][data-job-id="${second.id}"]`).waitFor();
      await expect.poll(() => page.getByTestId('job-estimate').getAttribute('data-reason')).toBe('WAITING_FOR_GPUS');
      await expect(page.getByTestId('estimate-position').textContent()).resolves.toBe(words.first);
      await expect(page.getByTestId('job-priority').getAttribute('data-priority')).resolves.toBe('0');
      await expectAccessible(page, `job page, waiting with an estimate, ${locale}`);
    });

    test(`should reorder the queue on every open page when an admin raises a job's priority (${locale})`, async () => {
      const { gpuType } = await busyGpuType(app.server, 'P');
      const words = wordsOf(locale, gpuType);
      const viewer = await app.server.register('queue-viewer');
      // Queue order is priority, then fair share (all fresh users: none used), then approval time.
      const mine = await jobIn(app.server, JobStatus.APPROVED, { owner: viewer, gpuType, gpuCount: 1, hours: 5, name: 'mine' });
      const middle = await jobIn(app.server, JobStatus.APPROVED, { gpuType, gpuCount: 1, hours: 5, name: 'middle' });
      const last = await jobIn(app.server, JobStatus.APPROVED, { gpuType, gpuCount: 1, hours: 5, name: 'last' });

      const user = await app.signedIn(locale, viewer.email, TEST_PASSWORD);
      await user.getByTestId('nav-queue').click();
      await user.waitForURL((url) => url.pathname === '/queue');
      await user.locator(`[data-testid="queue-type"][data-gpu-type="${gpuType}"]`).click();
      await queueRow(user, mine.id).waitFor();
      // The user sees their own job, named and marked, among two anonymous ones.
      await expect.poll(() => queueOrder(user)).toEqual([mine.id, '', '']);
      await expect(queueRow(user, mine.id).getAttribute('data-mine')).resolves.toBe('true');
      await queueRow(user, mine.id).getByTestId('queue-mine').waitFor();
      await expect(user.getByTestId('queue-other-job').first().textContent()).resolves.toBe(words.otherJob);
      await expect(user.getByTestId('queue-owner').count()).resolves.toBe(0);
      await expect(user.getByTestId('priority-input').count()).resolves.toBe(0);
      await expectAccessible(user, `queue page, as a user, ${locale}`);

      const admin = await app.signedIn(locale, ADMIN_EMAIL, ADMIN_PASSWORD, 'admin');
      await admin.goto(`/queue?type=${encodeURIComponent(gpuType)}`);
      await queueRow(admin, last.id).waitFor();
      await expect.poll(() => queueOrder(admin)).toEqual([mine.id, middle.id, last.id]);
      await expect(queueRow(admin, middle.id).getByTestId('queue-owner').textContent()).resolves.toBe(middle.owner.email);
      const [userLoads, adminLoads] = [countLoads(user), countLoads(admin)];

      // A priority out of bounds is refused in words before it is sent.
      const lastRow = queueRow(admin, last.id);
      await lastRow.getByTestId('priority-input').fill('5000');
      await lastRow.getByTestId('priority-save').click();
      await lastRow.getByTestId('priority-error').filter({ hasText: /\S/ }).waitFor();
      await expect(lastRow.getByTestId('priority-input').getAttribute('aria-invalid')).resolves.toBe('true');
      await expectAccessible(admin, `queue page, as an admin, priority refused, ${locale}`);

      await lastRow.getByTestId('priority-input').fill('10');
      await lastRow.getByTestId('priority-save').click();
      await lastRow.getByTestId('priority-saved').filter({ hasText: /\S/ }).waitFor();
      await expect.poll(() => queueOrder(admin), { timeout: LIVE_MS }).toEqual([last.id, mine.id, middle.id]);
      await expect(queueRow(admin, last.id).getAttribute('data-priority')).resolves.toBe('10');
      // The user's page follows without a reload: their job is second now, behind an anonymous one.
      await expect.poll(() => queueOrder(user), { timeout: LIVE_MS }).toEqual(['', mine.id, '']);
      await expect(queueRow(user, mine.id).getAttribute('data-position')).resolves.toBe('2');
      await expect(user.locator('[data-testid="queue-row"][data-position="1"]').getAttribute('data-priority')).resolves.toBe('10');
      expect([userLoads(), adminLoads()]).toEqual([0, 0]);
      // The server agrees.
      const stored = await app.server.gql<{ job: { priority: number } }>('query P($id: ID!) { job(id: $id) { priority } }', { id: last.id }, (await app.server.loginAdmin()).token);
      expect(stored.data?.job.priority).toBe(10);

      // The job's timeline tells of the change, and who made it; its details show the new priority.
      await queueRow(admin, last.id).getByTestId('queue-job-link').click();
      await admin.locator(`[data-testid="job-detail"][data-job-id="${last.id}"]`).waitFor();
      const change = admin.locator('[data-testid="job-event"][data-kind="priority"]');
      await expect(change.getByTestId('event-title').textContent()).resolves.toBe(words.priorityRaised);
      await expect(change.getByTestId('event-actor').textContent()).resolves.toBe(words.byYou);
      await expect(admin.getByTestId('job-priority').getAttribute('data-priority')).resolves.toBe('10');
      await expectAccessible(admin, `job page with a change of priority, ${locale}`);
    });

    test(`should switch the scheduler to AUTO from the admin panel, which then starts a waiting job by itself (${locale})`, async () => {
      const gpuType = freshGpuType('A');
      const words = wordsOf(locale, gpuType);
      await addNode(app.server, { gpuType, gpuCount: 2 });
      const waiting = await jobIn(app.server, JobStatus.APPROVED, { gpuType, gpuCount: 2, hours: 20, name: 'started by the scheduler' });

      const page = await app.signedIn(locale, ADMIN_EMAIL, ADMIN_PASSWORD, 'admin');
      await page.goto('/admin');
      const panel = page.locator('[data-testid="scheduler-settings"][data-mode="MANUAL"]');
      await panel.waitFor();
      await expect(page.getByTestId('scheduler-mode-MANUAL').isChecked()).resolves.toBe(true);

      // A negative limit is refused in words before anything is sent.
      await page.getByTestId('scheduler-auto-approve').fill('-1');
      await page.getByTestId('scheduler-save').click();
      await page.getByTestId('scheduler-auto-approve-error').filter({ hasText: /\S/ }).waitFor();
      await expectAccessible(page, `admin, scheduler settings refused, ${locale}`);
      await page.getByTestId('scheduler-auto-approve').fill('0');

      // In MANUAL the job waits, ready to start, for an admin.
      const still = await app.server.gql<{ job: JobView }>(JOB, { id: waiting.id }, (await app.server.loginAdmin()).token);
      expect(still.data?.job.status).toBe(JobStatus.APPROVED);

      await page.locator('label[for="scheduler-mode-AUTO"]').click();
      await expect(page.locator('label[for="scheduler-mode-AUTO"]').textContent()).resolves.toBe(words.auto);
      await page.getByTestId('scheduler-save').click();
      await page.getByTestId('scheduler-saved').filter({ hasText: /\S/ }).waitFor();
      await page.locator('[data-testid="scheduler-settings"][data-mode="AUTO"]').waitFor();
      await expectAccessible(page, `admin, scheduler settings saved, ${locale}`);

      // The scheduler starts it, and its timeline says who did.
      await page.goto(`/jobs/${waiting.id}`);
      await page.locator(`[data-testid="job-detail"][data-status="RUNNING"]`).waitFor({ timeout: LIVE_MS });
      const started = page.locator('[data-testid="job-event"][data-to="RUNNING"]').getByTestId('event-actor');
      await expect.poll(() => started.getAttribute('data-system-actor')).toBe('scheduler');
      await expect(started.textContent()).resolves.toBe(words.byScheduler);

      // Back to MANUAL with the panel.
      await page.goto('/admin');
      await page.locator('[data-testid="scheduler-settings"][data-mode="AUTO"]').waitFor();
      await page.locator('label[for="scheduler-mode-MANUAL"]').click();
      await page.getByTestId('scheduler-save').click();
      await page.locator('[data-testid="scheduler-settings"][data-mode="MANUAL"]').waitFor();
    });
  });
});
