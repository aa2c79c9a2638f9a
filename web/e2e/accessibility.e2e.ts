/**
 * WCAG 2.1 AA on every page of the app, in English and in Persian (right to left), and in the
 * states where colour and labels matter: status badges of every status, progress bars, alerts,
 * toasts, open confirmation forms and form errors. axe-core checks each state
 * (`accessibility.ts`); a serious or critical violation fails the test.
 */
import { describe, expect, test } from 'vitest';
import { JobStatus } from '../../common/job-status.js';
import { jobIn, mustTransition, type JobView } from '../../server/test/factories.js';
import { ADMIN_EMAIL, ADMIN_PASSWORD, TEST_PASSWORD, type TestServer, type TestUser } from '../../server/test/harness.js';
import { expectAccessible } from './accessibility.js';
import {
  APP_LOCALES,
  busyGpuType,
  fillJobForm,
  myJobRow,
  queueRow,
  signInThroughUi,
  submitJobThroughUi,
  useBrowserApp,
  waitForLocale,
  waitLive,
} from './support.js';

/** The reason the admin fails a job with, shown on its page and in its timeline. */
const FAIL_REASON = 'Node a100-2 lost power during the run.';

/** A fresh user's jobs, one in each status; the running one long enough to stay running. */
async function jobsOfEveryStatus(server: TestServer, owner: TestUser): Promise<Record<JobStatus, JobView>> {
  const admin = await server.loginAdmin();
  const [pending, approved, rejected, running, completed, failing, cancelled] = await Promise.all([
    // 8 × 4 = 32 GPU-hours, with the running job's 40, takes the quota meter past its 70 % warning.
    jobIn(server, JobStatus.PENDING, { owner, name: 'pending sweep', gpuCount: 8, hours: 4 }),
    jobIn(server, JobStatus.APPROVED, { owner, name: 'approved eval' }),
    jobIn(server, JobStatus.REJECTED, { owner, name: 'rejected pretrain' }),
    jobIn(server, JobStatus.RUNNING, { owner, name: 'running fine-tune', hours: 40 }),
    jobIn(server, JobStatus.COMPLETED, { owner, name: 'completed inference' }),
    jobIn(server, JobStatus.RUNNING, { owner, name: 'failed distillation' }),
    jobIn(server, JobStatus.CANCELLED, { owner, name: 'cancelled notebook' }),
  ]);
  const failed = await mustTransition(server, 'fail', failing.id, admin.token, FAIL_REASON);
  return {
    [JobStatus.PENDING]: pending,
    [JobStatus.APPROVED]: approved,
    [JobStatus.REJECTED]: rejected,
    [JobStatus.RUNNING]: running,
    [JobStatus.COMPLETED]: completed,
    [JobStatus.FAILED]: failed,
    [JobStatus.CANCELLED]: cancelled,
  };
}

describe('accessibility (WCAG 2.1 AA)', () => {
  const app = useBrowserApp(
    // The simulator runs, so a running job's bar moves; every run succeeds after at least half
    // its hours, so the 40-hour job (200 s or more) is still running when its page is checked.
    { SIM_SECONDS_PER_HOUR: '10', SIM_TICK_MS: '500', SIM_SUCCESS_RATE: '1', EVENT_POLL_MS: '100' },
    'all',
  );

  describe.each(APP_LOCALES)('in %s', (locale) => {
    test(`should pass on the login and register pages, blank, with field errors and with a refusal (${locale})`, async () => {
      const page = await app.pageIn(locale);
      await page.goto('/login');
      await page.getByTestId('login-form').waitFor();
      await waitForLocale(page, locale);
      await expectAccessible(page, `login, ${locale}`);

      // Sent empty: each field says what it needs.
      await page.getByTestId('login-submit').click();
      await page.getByTestId('login-email-error').waitFor();
      await expectAccessible(page, `login with field errors, ${locale}`);

      // A wrong password: the server's refusal in an alert.
      await page.getByTestId('login-email').fill(ADMIN_EMAIL);
      await page.getByTestId('login-password').fill(`${ADMIN_PASSWORD}-wrong`);
      await page.getByTestId('login-submit').click();
      await page.getByTestId('login-error').waitFor();
      await expectAccessible(page, `login refused, ${locale}`);

      await page.getByTestId('to-register').click();
      await page.getByTestId('register-form').waitFor();
      await expectAccessible(page, `register, ${locale}`);
      await page.getByTestId('register-email').fill('not an email');
      await page.getByTestId('register-password').fill('short');
      await page.getByTestId('register-submit').click();
      await page.getByTestId('register-email-error').waitFor();
      await page.getByTestId('register-password-error').waitFor();
      await expectAccessible(page, `register with field errors, ${locale}`);
    });

    test(`should pass on the dashboard with jobs of every status, a toast and form errors (${locale})`, async () => {
      const owner = await app.server.register('a11y-dashboard');
      const jobs = await jobsOfEveryStatus(app.server, owner);
      const page = await app.pageIn(locale);
      await signInThroughUi(page, owner.email, TEST_PASSWORD);
      await waitForLocale(page, locale);
      await waitLive(page);
      for (const job of Object.values(jobs)) await myJobRow(page, job.id, job.status).waitFor();
      await page.getByTestId('quota-level').waitFor();
      await expectAccessible(page, `dashboard with every status, ${locale}`);

      // A submitted job brings a toast; the pointer on it keeps it while axe looks.
      await submitJobThroughUi(page, { name: 'toast probe', gpuCount: 1, hours: 1 });
      const toast = page.getByTestId('toast').first();
      await toast.waitFor();
      await toast.hover();
      await expectAccessible(page, `dashboard with a toast, ${locale}`);

      // Field errors and the over-quota warning of the submit form.
      await fillJobForm(page, { name: '', gpuCount: 0, hours: 1 });
      await page.getByTestId('submit-job').click();
      await page.locator('#job-name-feedback').filter({ hasText: /\S/ }).waitFor();
      await expectAccessible(page, `dashboard with submit form errors, ${locale}`);
      await fillJobForm(page, { name: 'too big', gpuCount: 8, hours: 72 });
      await page.getByTestId('quota-error').waitFor();
      await expectAccessible(page, `dashboard over quota, ${locale}`);
    });

    test(`should pass on a job's page while PENDING, RUNNING, and FAILED with its reason and timeline (${locale})`, async () => {
      const owner = await app.server.register('a11y-job');
      const jobs = await jobsOfEveryStatus(app.server, owner);
      const page = await app.pageIn(locale);
      await signInThroughUi(page, owner.email, TEST_PASSWORD);
      await waitForLocale(page, locale);

      for (const status of [JobStatus.PENDING, JobStatus.RUNNING, JobStatus.FAILED]) {
        await page.goto(`/jobs/${jobs[status].id}`);
        await page.locator(`[data-testid="job-detail"][data-status="${status}"]`).waitFor();
        await page.locator(`[data-testid="job-event"][data-to="${status}"]`).waitFor();
        if (status === JobStatus.RUNNING) {
          // The bar has moved, so its text sits partly on the bar and partly beside it.
          await expect.poll(async () => Number(await page.getByTestId('job-progress').getAttribute('aria-valuenow')), { timeout: 20_000 }).toBeGreaterThan(0);
        }
        if (status === JobStatus.FAILED) await expect(page.getByTestId('job-reason').textContent()).resolves.toContain(FAIL_REASON);
        await expectAccessible(page, `job page, ${status}, ${locale}`);
      }

      // Asking to cancel opens a confirmation.
      await page.goto(`/jobs/${jobs.PENDING.id}`);
      await page.getByTestId('cancel-job').click();
      await page.getByTestId('cancel-confirm').waitFor();
      await expectAccessible(page, `job page, confirming cancel, ${locale}`);

      // A job that is not there (or not the viewer's) says so.
      await page.goto('/jobs/00000000-0000-4000-8000-000000000000');
      await page.getByTestId('job-error').waitFor();
      await expectAccessible(page, `job page, not found, ${locale}`);
    });

    test(`should pass on the admin panel: pending queue, all jobs of every status, users, and an admin's job page (${locale})`, async () => {
      const owner = await app.server.register('a11y-admin');
      const jobs = await jobsOfEveryStatus(app.server, owner);
      const page = await app.pageIn(locale, 'admin');
      await signInThroughUi(page, ADMIN_EMAIL, ADMIN_PASSWORD);
      await waitForLocale(page, locale);

      await page.goto('/admin');
      const pendingRow = page.locator(`[data-testid="pending-row"][data-job-id="${jobs.PENDING.id}"]`);
      await pendingRow.waitFor();
      await page.getByTestId('pending-count').waitFor();
      await expectAccessible(page, `admin, pending queue, ${locale}`);
      await pendingRow.getByTestId('reject-button').click();
      await pendingRow.getByTestId('reject-reason').waitFor();
      await expectAccessible(page, `admin, pending queue, rejecting, ${locale}`);

      // All jobs, narrowed to the owner: one badge of every status, and the actions of each.
      await page.goto(`/admin?tab=jobs&user=${owner.id}`);
      for (const job of Object.values(jobs)) await page.locator(`[data-testid="admin-job-row"][data-job-id="${job.id}"][data-status="${job.status}"]`).waitFor();
      await expectAccessible(page, `admin, all jobs, ${locale}`);
      const runningRow = page.locator(`[data-testid="admin-job-row"][data-job-id="${jobs.RUNNING.id}"]`);
      await runningRow.getByTestId('fail-button').click();
      await runningRow.getByTestId('fail-reason').waitFor();
      await expectAccessible(page, `admin, all jobs, failing, ${locale}`);

      // Users, with a limit refused before it is sent.
      await page.goto('/admin?tab=users');
      const userRow = page.locator(`[data-testid="user-row"][data-user-id="${owner.id}"]`);
      await userRow.waitFor();
      await expectAccessible(page, `admin, users, ${locale}`);
      await userRow.getByTestId('quota-limit-input').fill('-5');
      await userRow.getByTestId('quota-save').click();
      await userRow.getByTestId('quota-limit-error').filter({ hasText: /\S/ }).waitFor();
      await expectAccessible(page, `admin, users, limit refused, ${locale}`);

      // A job's page as the admin sees it, with the admin's actions.
      await page.goto(`/jobs/${jobs.APPROVED.id}`);
      await page.getByTestId('start-button').waitFor();
      await expectAccessible(page, `job page as admin, APPROVED, ${locale}`);
    });

    test(`should pass on the notification bell, the notifications page and the notification settings (${locale})`, async () => {
      const owner = await app.server.register('a11y-notifications');
      const admin = await app.server.loginAdmin();
      const approved = await jobIn(app.server, JobStatus.PENDING, { owner, name: 'notified job' });
      await mustTransition(app.server, 'approve', approved.id, admin.token);
      const page = await app.pageIn(locale);
      await signInThroughUi(page, owner.email, TEST_PASSWORD);
      await waitForLocale(page, locale);
      await page.getByTestId('bell-count').waitFor();
      await page.getByTestId('bell').click();
      await page.getByTestId('bell-panel').getByTestId('notification').first().waitFor();
      await expectAccessible(page, `notification bell open, ${locale}`);

      await page.getByTestId('bell-see-all').click();
      await page.getByTestId('notifications-list').waitFor();
      await expectAccessible(page, `notifications page with an unread notification, ${locale}`);

      await page.goto('/settings/notifications');
      await page.getByTestId('webhooks-empty').waitFor();
      await expectAccessible(page, `notification settings, ${locale}`);
      // Sent empty: the form says what it needs.
      await page.getByTestId('webhook-kind-JOB_APPROVED').uncheck();
      for (const kind of ['JOB_REJECTED', 'JOB_STARTED', 'JOB_COMPLETED', 'JOB_FAILED', 'JOB_CANCELLED', 'QUOTA_80', 'QUOTA_100']) {
        await page.getByTestId(`webhook-kind-${kind}`).uncheck();
      }
      await page.getByTestId('webhook-create').click();
      await page.getByTestId('webhook-events-error').filter({ hasText: /\S/ }).waitFor();
      await expectAccessible(page, `notification settings with form errors, ${locale}`);
    });

    test(`should pass on the cluster page a user sees: pools with GPUs in use, and utilization (${locale})`, async () => {
      const owner = await app.server.register('a11y-pools');
      await jobIn(app.server, JobStatus.RUNNING, { owner, name: 'pool probe', gpuCount: 2, hours: 40 });
      const page = await app.pageIn(locale);
      await signInThroughUi(page, owner.email, TEST_PASSWORD);
      await waitForLocale(page, locale);
      await page.goto('/cluster');
      await page.getByTestId('pool-card').first().waitFor();
      await page.getByTestId('utilization').waitFor();
      await expectAccessible(page, `cluster, as a user, ${locale}`);
    });

    test(`should pass on the cluster page an admin sees: nodes with held GPUs, a draining node, a confirmation and form errors (${locale})`, async () => {
      const running = await jobIn(app.server, JobStatus.RUNNING, { name: 'node probe', gpuCount: 2, hours: 40 });
      const page = await app.pageIn(locale, 'admin');
      await signInThroughUi(page, ADMIN_EMAIL, ADMIN_PASSWORD);
      await waitForLocale(page, locale);
      await page.goto('/cluster');
      await page.locator(`[data-testid="gpu-cell"][data-job-id="${running.id}"]`).first().waitFor();
      await expectAccessible(page, `cluster, as an admin, ${locale}`);

      // A node of this test's own, added through the form and drained.
      const name = `a11y-${locale}-${Math.random().toString(36).slice(2, 8)}`;
      await page.getByTestId('add-node-name').fill(name);
      await page.getByTestId('add-node-type').fill('L40S');
      await page.getByTestId('add-node-count').fill('4');
      await page.getByTestId('add-node-submit').click();
      const row = page.locator(`[data-testid="node-row"][data-node-name="${name}"]`);
      await row.waitFor();
      await row.getByTestId('node-drain').click();
      await page.locator(`[data-testid="node-row"][data-node-name="${name}"][data-state="DRAINING"]`).waitFor();
      await expectAccessible(page, `cluster, a draining node, ${locale}`);

      // Taking it down asks first; the dialog is checked, then dismissed.
      await row.getByTestId('node-down').click();
      await page.getByTestId('confirm-dialog').waitFor();
      await expectAccessible(page, `cluster, confirming a node down, ${locale}`);
      await page.getByTestId('confirm-cancel').click();
      await page.getByTestId('confirm-dialog').waitFor({ state: 'hidden' });

      // The add form sent empty says what each field needs.
      await page.getByTestId('add-node-count').fill('');
      await page.getByTestId('add-node-submit').click();
      await page.getByTestId('add-node-name').and(page.locator('[aria-invalid="true"]')).waitFor();
      await expectAccessible(page, `cluster, add-node form errors, ${locale}`);
    });

    test(`should pass on the queue page as a user and as an admin, and on the scheduler settings with an error (${locale})`, async () => {
      // A queue of three behind a busy node: the user's own job among two of other users.
      const { gpuType } = await busyGpuType(app.server, 'Y');
      const owner = await app.server.register('a11y-queue');
      const mine = await jobIn(app.server, JobStatus.APPROVED, { owner, gpuType, gpuCount: 1, hours: 5, name: 'queued probe' });
      await jobIn(app.server, JobStatus.APPROVED, { gpuType, gpuCount: 2, hours: 5 });
      await jobIn(app.server, JobStatus.APPROVED, { gpuType, gpuCount: 1, hours: 5 });
      const page = await app.pageIn(locale);
      await signInThroughUi(page, owner.email, TEST_PASSWORD);
      await waitForLocale(page, locale);
      await waitLive(page);
      await myJobRow(page, mine.id).getByTestId('job-estimate').waitFor();
      await expectAccessible(page, `dashboard with a waiting job's estimate, ${locale}`);
      await page.goto(`/queue?type=${encodeURIComponent(gpuType)}`);
      await queueRow(page, mine.id).waitFor();
      await page.locator('[data-testid="queue-row"]').nth(2).waitFor();
      await expectAccessible(page, `queue, as a user, ${locale}`);

      const admin = await app.pageIn(locale, 'admin');
      await signInThroughUi(admin, ADMIN_EMAIL, ADMIN_PASSWORD);
      await waitForLocale(admin, locale);
      await admin.goto(`/queue?type=${encodeURIComponent(gpuType)}`);
      const row = queueRow(admin, mine.id);
      await row.getByTestId('priority-input').waitFor();
      await expectAccessible(admin, `queue, as an admin, ${locale}`);
      await row.getByTestId('priority-input').fill('1.5');
      await row.getByTestId('priority-save').click();
      await row.getByTestId('priority-error').filter({ hasText: /\S/ }).waitFor();
      await expectAccessible(admin, `queue, as an admin, priority refused, ${locale}`);

      await admin.goto('/admin');
      await admin.getByTestId('scheduler-settings').waitFor();
      await admin.getByTestId('scheduler-mode-MANUAL').and(admin.locator(':checked')).waitFor();
      await expectAccessible(admin, `admin, scheduler settings, ${locale}`);
      await admin.getByTestId('scheduler-auto-approve').fill('-3');
      await admin.getByTestId('scheduler-save').click();
      await admin.getByTestId('scheduler-auto-approve-error').filter({ hasText: /\S/ }).waitFor();
      await expectAccessible(admin, `admin, scheduler settings refused, ${locale}`);
    });

    test(`should pass on the admin's usage tab, a month without jobs, and a user's usage history (${locale})`, async () => {
      const owner = await app.server.register('a11y-usage');
      await jobIn(app.server, JobStatus.COMPLETED, { owner, name: 'usage probe', gpuType: 'H100', gpuCount: 2, hours: 2 });
      await jobIn(app.server, JobStatus.PENDING, { owner, name: 'usage waiting', gpuCount: 1, hours: 1 });
      const admin = await app.pageIn(locale, 'admin');
      await signInThroughUi(admin, ADMIN_EMAIL, ADMIN_PASSWORD);
      await waitForLocale(admin, locale);
      await admin.goto('/admin?tab=usage');
      await admin.locator(`[data-testid="usage-row"][data-email="${owner.email}"]`).first().waitFor();
      await admin.locator('[data-testid="usage-chart"] canvas').waitFor();
      await expectAccessible(admin, `admin, usage, ${locale}`);
      await admin.getByTestId('usage-month').fill('2001-01');
      await admin.getByTestId('usage-empty').waitFor();
      await expectAccessible(admin, `admin, usage of an empty month, ${locale}`);

      const page = await app.pageIn(locale);
      await signInThroughUi(page, owner.email, TEST_PASSWORD);
      await waitForLocale(page, locale);
      await page.locator('[data-testid="usage-history-chart"] canvas').waitFor();
      await fillJobForm(page, { name: 'weighted probe', gpuType: 'H100', gpuCount: 1, hours: 1 });
      await expectAccessible(page, `dashboard with usage history, ${locale}`);
    });

    test(`should pass on the API tokens page: empty, a name error, a new token shown once, the list and a revocation to confirm (${locale})`, async () => {
      const user = await app.server.register('a11y-tokens');
      const page = await app.pageIn(locale);
      await signInThroughUi(page, user.email, TEST_PASSWORD);
      await page.getByTestId('nav-tokens').click();
      await page.getByTestId('tokens-none').waitFor();
      await waitForLocale(page, locale);
      await expectAccessible(page, `API tokens, none, ${locale}`);

      await page.getByTestId('token-create').click();
      await page.getByTestId('token-name-error').filter({ hasText: /\S/ }).waitFor();
      await expectAccessible(page, `API tokens, name error, ${locale}`);

      await page.getByTestId('token-name').fill('laptop');
      await page.getByTestId('token-create').click();
      await page.getByTestId('token-created').waitFor();
      await page.getByTestId('token-row').first().waitFor();
      await expectAccessible(page, `API tokens, created, ${locale}`);

      await page.getByTestId('token-done').click();
      await page.getByTestId('token-revoke').first().click();
      await page.getByTestId('token-confirm').waitFor();
      await expectAccessible(page, `API tokens, revocation to confirm, ${locale}`);
    });

    test(`should pass on the not-found page, signed out and signed in (${locale})`, async () => {
      const user = await app.server.register('a11y-missing');
      const page = await app.pageIn(locale);
      await page.goto('/no/such/page');
      await page.getByRole('heading', { level: 1 }).waitFor();
      await waitForLocale(page, locale);
      await expectAccessible(page, `not found, signed out, ${locale}`);

      await signInThroughUi(page, user.email, TEST_PASSWORD);
      await page.goto('/no/such/page');
      await page.getByRole('heading', { level: 1 }).waitFor();
      await expectAccessible(page, `not found, signed in, ${locale}`);
    });
  });
});
