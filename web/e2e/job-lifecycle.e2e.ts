/**
 * A job's life in the browser: a user submits it, an admin in another browser context approves,
 * starts or rejects it, and the simulator runs it; the user's page follows every step live over
 * the subscription, without ever being reloaded.
 */
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, test } from 'vitest';
import { ADMIN_EMAIL, ADMIN_PASSWORD } from '../../server/test/harness.js';
import { expectAccessible } from './accessibility.js';
import {
  countLoads,
  fillJobForm,
  myJobRow,
  openPage,
  quotaOf,
  registerThroughUi,
  signInThroughUi,
  submitJobThroughUi,
  UI_TIMEOUT_MS,
  useBrowserApp,
  waitLive,
} from './support.js';

/** What the in-page recorder saw of one job's row and of the toasts, in order. */
interface Recording {
  marker: number;
  steps: { status: string; progress: number }[];
  toasts: { tone: string; text: string }[];
}

/**
 * Records, inside the page, every change of job `id`'s row (status, progress bar value) and
 * every toast shown, from a MutationObserver: nothing is missed however slowly the test polls.
 * Also sets `window.__e2e.marker`, which a reload would wipe.
 */
async function startRecording(page: Page, id: string): Promise<void> {
  await page.evaluate((jobId) => {
    const recording: Recording = { marker: 1, steps: [], toasts: [] };
    (window as unknown as { __e2e: Recording }).__e2e = recording;
    const seenToasts = new WeakSet<Element>();
    const record = () => {
      const row = document.querySelector(`[data-testid="job-row"][data-job-id="${jobId}"]`);
      if (row) {
        const status = row.getAttribute('data-status') ?? '';
        const progress = Number(row.querySelector('[data-testid="job-progress"]')?.getAttribute('aria-valuenow'));
        const last = recording.steps[recording.steps.length - 1];
        if (!last || last.status !== status || last.progress !== progress) recording.steps.push({ status, progress });
      }
      document.querySelectorAll('[data-testid="toast"]').forEach((toast) => {
        if (seenToasts.has(toast)) return;
        seenToasts.add(toast);
        recording.toasts.push({ tone: toast.getAttribute('data-tone') ?? '', text: (toast.textContent ?? '').replace(/\s+/g, ' ').trim() });
      });
    };
    new MutationObserver(record).observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
    record();
  }, id);
}

async function recordingOf(page: Page): Promise<Recording | undefined> {
  return page.evaluate(() => (window as unknown as { __e2e?: Recording }).__e2e);
}

describe('a job in the browser, live', () => {
  const app = useBrowserApp(
    // Simulator on and fast: one simulated hour takes 2 s, in 200 ms steps. Every run
    // succeeds (after 50–100 % of its hours), so each job shows a good run of progress.
    { SIM_SECONDS_PER_HOUR: '2', SIM_TICK_MS: '200', SIM_SEED: 'gpuaas-e2e', SIM_SUCCESS_RATE: '1', EVENT_POLL_MS: '100' },
    'all',
  );
  /** The admin's page, in its own browser context, signed in once for the file. */
  let admin: Page;

  beforeAll(async () => {
    admin = await openPage(app.browser, app.server.url);
    await signInThroughUi(admin, ADMIN_EMAIL, ADMIN_PASSWORD);
    await waitLive(admin);
  });

  /** Opens the admin panel on `tab` (a fresh load of the admin's page is fine). */
  async function openAdminTab(tab: 'pending' | 'jobs' | 'users'): Promise<void> {
    await admin.goto(tab === 'pending' ? '/admin' : `/admin?tab=${tab}`);
    await admin.locator(`[data-testid="admin-tab-${tab}"][aria-selected="true"]`).waitFor();
    await waitLive(admin);
  }

  test('a user registers, submits a job and sees it PENDING with the quota meter reduced', async () => {
    const user = await app.newPage();
    await registerThroughUi(user, 'pending');
    await expect.poll(() => quotaOf(user)).toEqual({ used: 0, remaining: 100, limit: 100, valueNow: 0 });
    await user.getByTestId('my-jobs-empty').waitFor();

    await fillJobForm(user, { name: 'resnet-50 sweep', gpuCount: 4, hours: 6 });
    // The form says what the job costs and what would remain before anything is sent.
    await expect.poll(() => user.getByTestId('cost-preview').getAttribute('data-gpu-hours')).toBe('24');
    await expect(user.getByTestId('cost-gpu-hours').textContent()).resolves.toContain('24 GPU-hours');
    await user.getByTestId('submit-job').click();

    const row = user.getByTestId('job-row').filter({ hasText: 'resnet-50 sweep' });
    await row.and(user.locator('[data-status="PENDING"]')).waitFor();
    await expect(row.getByTestId('job-status').getAttribute('data-status')).resolves.toBe('PENDING');
    await expect(row.getByTestId('job-status').textContent()).resolves.toContain('Pending');
    await expect(row.getByTestId('job-gpu-hours').getAttribute('data-gpu-hours')).resolves.toBe('24');
    await user.getByTestId('toast').filter({ hasText: 'is waiting for approval' }).waitFor();

    // The 24 GPU-hours are reserved at once: the meter shows them used, in numbers and in words.
    await expect.poll(() => quotaOf(user), { timeout: UI_TIMEOUT_MS }).toEqual({ used: 24, remaining: 76, limit: 100, valueNow: 24 });
    await expect(user.getByTestId('quota-used').textContent()).resolves.toContain('24 of 100 GPU-hours used');
    await expect(user.getByTestId('quota-remaining').textContent()).resolves.toContain('76 remaining');
    await expect(user.getByTestId('my-jobs-count').textContent()).resolves.toContain('1');
    await expectAccessible(user, 'dashboard with a pending job');
  });

  test('an admin approves and starts the job in a second context; the user page, never reloaded, shows RUNNING, advancing progress, then the outcome with a toast', async () => {
    const user = await app.newPage();
    app.pages.track(admin, 'admin', { close: false });
    await registerThroughUi(user, 'live');
    await waitLive(user);
    const loads = countLoads(user);
    const id = await submitJobThroughUi(user, { name: 'bert fine-tune', gpuCount: 1, hours: 2 });
    await myJobRow(user, id, 'PENDING').waitFor();
    await startRecording(user, id);

    // The admin approves it from the pending queue…
    await openAdminTab('pending');
    const pendingRow = admin.locator(`[data-testid="pending-row"][data-job-id="${id}"]`);
    await pendingRow.getByTestId('approve-button').click();
    await pendingRow.waitFor({ state: 'detached' });
    await myJobRow(user, id, 'APPROVED').waitFor();

    // …and starts it from the list of all jobs; the simulator takes it from there.
    await admin.getByTestId('admin-tab-jobs').click();
    const adminRow = admin.locator(`[data-testid="admin-job-row"][data-job-id="${id}"]`);
    await adminRow.and(admin.locator('[data-status="APPROVED"]')).waitFor();
    await adminRow.getByTestId('start-button').click();

    await myJobRow(user, id, 'RUNNING').waitFor();
    const finished = user.locator(
      `[data-testid="job-row"][data-job-id="${id}"][data-status="COMPLETED"], [data-testid="job-row"][data-job-id="${id}"][data-status="FAILED"]`,
    );
    await finished.waitFor({ timeout: 45_000 });
    const outcome = (await finished.getAttribute('data-status')) as 'COMPLETED' | 'FAILED';
    const label = outcome === 'COMPLETED' ? 'Completed' : 'Failed';

    // The toast for the outcome; holding the pointer on it keeps it for the screenshot.
    const toast = user.getByTestId('toast').filter({ hasText: `is now ${label}` });
    await toast.waitFor();
    await expect(toast.getAttribute('data-tone')).resolves.toBe(outcome === 'COMPLETED' ? 'success' : 'danger');
    await toast.hover();

    const recording = await recordingOf(user);
    // Never reloaded: the marker set in the page is still there and no page load happened.
    expect(recording?.marker).toBe(1);
    expect(loads()).toBe(0);
    const steps = recording!.steps;
    const statuses = steps.map((s) => s.status).filter((s, i, all) => i === 0 || all[i - 1] !== s);
    expect(statuses).toEqual(['PENDING', 'APPROVED', 'RUNNING', outcome]);
    // The progress bar advanced while running, step by step and never backwards.
    const running = steps.filter((s) => s.status === 'RUNNING').map((s) => s.progress);
    expect(new Set(running).size, `progress while running: ${running.join(', ')}`).toBeGreaterThanOrEqual(3);
    for (let i = 1; i < running.length; i += 1) expect(running[i]).toBeGreaterThan(running[i - 1]!);
    if (outcome === 'COMPLETED') {
      expect(steps[steps.length - 1]!.progress).toBe(100);
      await expect(myJobRow(user, id).getByTestId('job-progress').getAttribute('aria-valuenow')).resolves.toBe('100');
    }
    // A toast came for each change, in order, each with the new status.
    const jobToasts = recording!.toasts.filter((t) => t.text.includes('“bert fine-tune” is now'));
    expect(jobToasts.map((t) => t.text.match(/is now (\w+)/)?.[1])).toEqual(['Approved', 'Running', label]);

    // Hours not used are given back: the quota counts what the run was charged.
    const chargedText = async () => (await myJobRow(user, id).getByTestId('job-gpu-hours').textContent())?.match(/([\d.]+) charged/)?.[1] ?? null;
    await expect.poll(chargedText).not.toBeNull();
    const charged = Number(await chargedText());
    expect(charged).toBeGreaterThan(0);
    expect(charged).toBeLessThanOrEqual(2);
    await expect.poll(async () => Math.round((await quotaOf(user)).used * 100) / 100, { timeout: UI_TIMEOUT_MS }).toBe(charged);

    // The admin's list followed too.
    await adminRow.and(admin.locator(`[data-status="${outcome}"]`)).waitFor();
    await expectAccessible(user, `dashboard with a ${outcome} job and its toast`);
    await expectAccessible(admin, `admin, all jobs, with a ${outcome} job`);
  });

  test("a rejected job shows the admin's reason", async () => {
    const user = await app.newPage();
    app.pages.track(admin, 'admin', { close: false });
    await registerThroughUi(user, 'rejected');
    await waitLive(user);
    const loads = countLoads(user);
    const id = await submitJobThroughUi(user, { name: 'llama 70b pretrain', gpuCount: 8, hours: 10 });
    await expect.poll(() => quotaOf(user)).toMatchObject({ used: 80, remaining: 20 });

    const reason = 'Runs over 50 GPU-hours need the lab manager’s sign-off first.';
    await openAdminTab('pending');
    const pendingRow = admin.locator(`[data-testid="pending-row"][data-job-id="${id}"]`);
    await pendingRow.getByTestId('reject-button').click();
    await pendingRow.getByTestId('reject-reason').fill(reason);
    await expectAccessible(admin, 'admin, pending queue, rejecting');
    await pendingRow.getByTestId('reject-confirm').click();
    await pendingRow.waitFor({ state: 'detached' });

    // Live on the user's dashboard: the status, the reason under the job's name, a toast with
    // the reason, and the reserved hours given back.
    const row = myJobRow(user, id, 'REJECTED');
    await row.waitFor();
    await expect(row.getByTestId('job-reason').textContent()).resolves.toContain(reason);
    const toast = user.getByTestId('toast').filter({ hasText: 'is now Rejected' });
    await toast.waitFor();
    await expect(toast.getAttribute('data-tone')).resolves.toBe('danger');
    await expect(toast.textContent()).resolves.toContain(`Reason: ${reason}`);
    await expect.poll(() => quotaOf(user)).toMatchObject({ used: 0, remaining: 100 });
    expect(loads()).toBe(0);

    // The job's own page says it too, and its timeline has the rejection with its reason.
    await row.getByTestId('job-link').click();
    await user.waitForURL((url) => url.pathname === `/jobs/${id}`);
    await user.locator(`[data-testid="job-detail"][data-job-id="${id}"][data-status="REJECTED"]`).waitFor();
    await expect(user.getByTestId('job-reason').textContent()).resolves.toContain(reason);
    const event = user.locator('[data-testid="job-event"][data-to="REJECTED"]');
    await expect(event.getByTestId('event-reason').textContent()).resolves.toContain(reason);
    await expect(event.getByTestId('event-actor').textContent()).resolves.toContain(ADMIN_EMAIL);
    expect(loads()).toBe(0);
    await expectAccessible(user, 'job page, REJECTED');
  });

  test('an over-quota submission shows the remaining hours', async () => {
    const user = await app.newPage();
    app.pages.track(admin, 'admin', { close: false });
    const { email } = await registerThroughUi(user, 'over-quota');
    await waitLive(user);
    let createJobRequests = 0;
    user.on('request', (request) => {
      if (request.url().endsWith('/graphql') && (request.postData() ?? '').includes('createJob')) createJobRequests += 1;
    });
    await submitJobThroughUi(user, { name: 'warm-up', gpuCount: 2, hours: 15 });
    await expect.poll(() => quotaOf(user)).toMatchObject({ used: 30, remaining: 70 });
    expect(createJobRequests).toBe(1);

    // More than remains: the form says what remains, and sending it sends nothing.
    await fillJobForm(user, { name: 'too big', gpuCount: 8, hours: 12 });
    const quotaError = user.getByTestId('quota-error');
    await quotaError.waitFor();
    await expect(quotaError.textContent()).resolves.toContain('This job needs 96 GPU-hours but only 70 remain this month.');
    await user.getByTestId('submit-job').click();
    await expect.poll(() => user.evaluate(() => document.activeElement?.id)).toBe('job-hours');
    await expectAccessible(user, 'dashboard, over quota');

    // In the admin's context the user's limit drops to 40 (10 remain); the user's page, never
    // reloaded, is told at once (quotaChanged) and counts on 10.
    await openAdminTab('users');
    const userRow = admin.locator(`[data-testid="user-row"][data-email="${email}"]`);
    await userRow.getByTestId('quota-limit-input').fill('40');
    await userRow.getByTestId('quota-save').click();
    await userRow.getByTestId('quota-saved').waitFor();
    await expect.poll(() => userRow.getByTestId('user-remaining').textContent()).toMatch(/^\s*10\s*$/);
    await expectAccessible(admin, 'admin, users, limit saved');
    await expect.poll(() => quotaOf(user)).toMatchObject({ limit: 40, used: 30, remaining: 10 });

    // 4 × 5 = 20 no longer fits in what the page now knows: the form says so and sends nothing.
    await fillJobForm(user, { name: 'refused by the new limit', gpuCount: 4, hours: 5 });
    await quotaError.waitFor();
    await expect(quotaError.textContent()).resolves.toContain('This job needs 20 GPU-hours but only 10 remain this month.');
    await user.getByTestId('submit-job').click();
    await expect.poll(() => user.evaluate(() => document.activeElement?.id)).toBe('job-hours');
    expect(createJobRequests).toBe(1);
    await expect(user.getByTestId('job-row').count()).resolves.toBe(1);
    await expectAccessible(user, 'dashboard, refused after the new limit');
  });
});
