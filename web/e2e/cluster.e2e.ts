/**
 * GPU capacity in the browser: the Cluster page's pools and utilization chart, live; the admins'
 * node view (drain, down with its confirmation, GPU cells); starting a job on a chosen node and
 * the job's page naming it; INSUFFICIENT_CAPACITY in words; the submit form's capacity hint and
 * its refusal of a count no node holds. Each test adds nodes of a GPU type of its own, so its
 * pools are its own whatever else runs. In English and Persian, with axe-core on each page.
 */
import type { Page } from 'playwright-core';
import { describe, expect, test } from 'vitest';
import { JobStatus } from '../../common/job-status.js';
import { addNode, freshGpuType, jobIn, runningJob, updateNode } from '../../server/test/factories.js';
import { ADMIN_EMAIL, ADMIN_PASSWORD, TEST_PASSWORD } from '../../server/test/harness.js';
import { expectAccessible } from './accessibility.js';
import {
  countLoads,
  APP_LOCALES,
  fillJobForm,
  saveScreenshot,
  useBrowserApp,
} from './support.js';

/** The pool card of `gpuType` on the Cluster page. */
function poolCard(page: Page, gpuType: string) {
  return page.locator(`[data-testid="pool-card"][data-gpu-type="${gpuType}"]`);
}

/** What the pool card of `gpuType` says, from its data attributes. */
async function poolNumbers(page: Page, gpuType: string): Promise<Record<'allocated' | 'free' | 'draining' | 'down', number>> {
  const card = poolCard(page, gpuType);
  const read = async (name: string) => Number(await card.getAttribute(`data-${name}`));
  return { allocated: await read('allocated'), free: await read('free'), draining: await read('draining'), down: await read('down') };
}

/** The node row named `name` in the admins' node view. */
function nodeRow(page: Page, name: string) {
  return page.locator(`[data-testid="node-row"][data-node-name="${name}"]`);
}

describe('GPU capacity in the browser', () => {
  // No simulator: running jobs hold their GPUs until the test ends them.
  const app = useBrowserApp({ EVENT_POLL_MS: '100' });

  describe.each(APP_LOCALES)('in %s', (locale) => {
    test(`should show each pool as a bar with its numbers and the utilization chart, live without a reload (${locale})`, async () => {
      const gpuType = freshGpuType('C');
      await addNode(app.server, { gpuType, gpuCount: 8 });
      await runningJob(app.server, { gpuType, gpuCount: 2, name: 'warm-up' });
      const user = await app.server.register('cluster-viewer');
      const page = await app.signedIn(locale, user.email, TEST_PASSWORD);

      await page.getByTestId('nav-cluster').click();
      await page.waitForURL((url) => url.pathname === '/cluster');
      await poolCard(page, gpuType).waitFor();
      const loads = countLoads(page);
      await expect.poll(() => poolNumbers(page, gpuType)).toEqual({ allocated: 2, free: 6, draining: 0, down: 0 });
      // The bar's segments match the numbers, and the legend says them in words.
      const card = poolCard(page, gpuType);
      await expect(card.locator('[data-testid="pool-segment"][data-kind="allocated"]').getAttribute('data-gpus')).resolves.toBe('2');
      await expect(card.getByTestId('pool-free').textContent()).resolves.toContain(locale === 'en' ? 'Free' : 'آزاد');

      // The chart: a day in 96 buckets, drawn by uPlot, summed up in words; then a week in 168.
      const utilization = page.getByTestId('utilization');
      await page.locator('[data-testid="utilization"][data-points="96"]').waitFor();
      await page.locator('[data-testid="utilization-chart"] canvas').waitFor();
      await page.getByTestId('utilization-summary').filter({ hasText: locale === 'en' ? /on average .* GPUs allocated/ : /به‌طور میانگین/ }).waitFor();
      await page.locator('label[for="range-7d"]').click();
      await page.locator('[data-testid="utilization"][data-range="7d"][data-points="168"]').waitFor();
      await page.getByTestId('utilization-type').selectOption(gpuType);
      await expect.poll(() => utilization.getAttribute('data-gpu-type')).toBe(gpuType);
      await page.locator('[data-testid="utilization"][data-points="168"]').waitFor();
      await expectAccessible(page, `cluster page, ${locale}`);

      // An admin starts a 4-GPU job through the API: the bar follows, without a reload.
      await runningJob(app.server, { gpuType, gpuCount: 4, name: 'live start' });
      await expect.poll(() => poolNumbers(page, gpuType), { timeout: 10_000 }).toEqual({ allocated: 6, free: 2, draining: 0, down: 0 });
      await expect(card.locator('[data-testid="pool-segment"][data-kind="allocated"]').getAttribute('data-gpus')).resolves.toBe('6');
      expect(loads()).toBe(0);
      // A plain user gets no node view.
      await expect(page.getByTestId('gpu-nodes').count()).resolves.toBe(0);
    });

    test(`should refuse before sending a GPU count no node of the type holds, and show the type's free GPUs live (${locale})`, async () => {
      const gpuType = freshGpuType('S');
      await addNode(app.server, { gpuType, gpuCount: 4 });
      const user = await app.server.register('capacity-hint');
      const page = await app.signedIn(locale, user.email, TEST_PASSWORD);
      await page.getByTestId('my-jobs-empty').waitFor();

      await page.getByTestId('submit-gpu-type').selectOption(gpuType);
      const hint = page.getByTestId('capacity-hint');
      await expect.poll(() => hint.getAttribute('data-free')).toBe('4');
      await expect(hint.getAttribute('data-largest')).resolves.toBe('4');
      await expect(hint.textContent()).resolves.toContain(locale === 'en' ? '4 free now · largest node 4 GPUs' : '۴ GPU آزاد در این لحظه');

      await fillJobForm(page, { name: 'too wide', gpuType, gpuCount: 6, hours: 1 });
      await page.getByTestId('submit-job').click();
      const feedback = page.locator('#job-gpuCount-feedback');
      await expect
        .poll(() => feedback.textContent())
        .toBe(locale === 'en' ? `The largest ${gpuType} node has 4 GPUs.` : `بزرگ‌ترین گرهٔ ${gpuType} فقط ۴ GPU دارد.`);
      await expect(page.getByTestId('submit-gpu-count').getAttribute('aria-invalid')).resolves.toBe('true');
      // Nothing was sent: no job, and the server holds none of this user's.
      await expect(page.getByTestId('job-row').count()).resolves.toBe(0);
      await expectAccessible(page, `submit form, count too large, ${locale}`);

      // Another user's job takes 3 of the GPUs: the hint follows.
      await runningJob(app.server, { gpuType, gpuCount: 3 });
      await expect.poll(() => hint.getAttribute('data-free'), { timeout: 10_000 }).toBe('1');
    });
  });

  test('should let an admin drain a node, and mark another down after a confirmation that counts the jobs that will fail', async () => {
    const gpuType = freshGpuType('N');
    const [first, second] = [await addNode(app.server, { gpuType, gpuCount: 4 }), await addNode(app.server, { gpuType, gpuCount: 4 })];
    const owner = await app.server.register('node-owner');
    const job = await runningJob(app.server, { gpuType, gpuCount: 2, name: 'llama-finetune', owner, nodeId: second.id });
    const page = await app.signedIn('en', ADMIN_EMAIL, ADMIN_PASSWORD, 'admin');
    await page.goto('/cluster');
    await nodeRow(page, first.name).waitFor();

    // The job's GPUs show as its cells, named with the job and its owner on focus.
    const held = nodeRow(page, second.name).locator(`[data-testid="gpu-cell"][data-job-id="${job.id}"]`);
    await expect(held.count()).resolves.toBe(2);
    const indices = job.allocation!.gpuIndices;
    const cell = nodeRow(page, second.name).locator(`[data-testid="gpu-cell"][data-index="${indices[0]}"]`);
    await expect(cell.getAttribute('aria-label')).resolves.toBe(`GPU ${indices[0]}: llama-finetune (${owner.email})`);
    await cell.focus();
    await expect(cell.locator('.gpu-tip').isVisible()).resolves.toBe(true);
    const free = nodeRow(page, first.name).locator('[data-testid="gpu-cell"][data-index="0"]');
    await expect(free.getAttribute('aria-label')).resolves.toBe('GPU 0: free');
    await saveScreenshot(page, 'admin node view', 'cells');

    // Drain: the state changes at once, and the pool counts its GPUs as draining.
    await nodeRow(page, first.name).getByTestId('node-drain').click();
    await nodeRow(page, first.name).locator('[data-testid="node-state"][data-state="DRAINING"]').waitFor();
    await expect.poll(() => poolNumbers(page, gpuType)).toEqual({ allocated: 2, free: 2, draining: 4, down: 0 });

    // Down asks first, saying that the one job running there will fail.
    await nodeRow(page, second.name).getByTestId('node-down').click();
    const dialog = page.getByTestId('confirm-dialog');
    await dialog.waitFor();
    await expect(page.getByTestId('confirm-body').textContent()).resolves.toBe(
      `The job running on ${second.name} will fail, charged for the hours it ran.`,
    );
    await expectAccessible(page, 'cluster page, admin, confirming DOWN, en');
    await saveScreenshot(page, 'admin node view', 'confirm-down');
    await page.getByTestId('confirm-ok').click();
    await dialog.waitFor({ state: 'hidden' });
    await nodeRow(page, second.name).locator('[data-testid="node-state"][data-state="DOWN"]').waitFor();
    await expect.poll(() => poolNumbers(page, gpuType)).toEqual({ allocated: 0, free: 0, draining: 4, down: 4 });
    await expect(nodeRow(page, second.name).locator('[data-testid="gpu-cell"][data-job-id=""]').count()).resolves.toBe(4);
    const failed = await app.server.gql<{ job: { status: string; statusReason: string } }>('query J($id: ID!) { job(id: $id) { status statusReason } }', { id: job.id }, (await app.server.loginAdmin()).token);
    expect(failed.data?.job).toEqual({ status: JobStatus.FAILED, statusReason: `node ${second.name} went down` });

    // Both back up.
    await nodeRow(page, first.name).getByTestId('node-up').click();
    await nodeRow(page, second.name).getByTestId('node-up').click();
    await expect.poll(() => poolNumbers(page, gpuType)).toEqual({ allocated: 0, free: 8, draining: 0, down: 0 });

    // In Persian, right to left, and accessible there too.
    await page.getByTestId('lang-switch').selectOption('fa');
    await expect.poll(() => page.evaluate(() => document.documentElement.dir)).toBe('rtl');
    await expect(nodeRow(page, first.name).getByTestId('node-state').textContent()).resolves.toBe('فعال');
    await expectAccessible(page, 'cluster page, admin, fa');
  });

  test("should let an admin add a node, show the server's refusal of a second one of the same name by the field, and remove it", async () => {
    const gpuType = freshGpuType('A');
    const name = `e2e-${gpuType.toLowerCase()}`;
    const page = await app.signedIn('en', ADMIN_EMAIL, ADMIN_PASSWORD, 'admin');
    await page.goto('/cluster');
    await page.getByTestId('add-node-form').waitFor();

    const addAs = async (nodeName: string) => {
      await page.getByTestId('add-node-name').fill(nodeName);
      await page.getByTestId('add-node-type').fill(gpuType);
      await page.getByTestId('add-node-count').fill('2');
      await page.getByTestId('add-node-submit').click();
    };
    await addAs(name);
    await nodeRow(page, name).waitFor();
    await poolCard(page, gpuType).waitFor();

    await addAs(name);
    await expect.poll(() => page.locator('#node-name-feedback').textContent()).toBe(`a node named ${name} exists already`);
    await expect(page.getByTestId('add-node-name').getAttribute('aria-invalid')).resolves.toBe('true');
    await expectAccessible(page, 'cluster page, admin, add-node refused, en');

    await nodeRow(page, name).getByTestId('node-remove').click();
    await page.getByTestId('confirm-dialog').waitFor();
    await page.getByTestId('confirm-ok').click();
    await nodeRow(page, name).waitFor({ state: 'detached' });
    await poolCard(page, gpuType).waitFor({ state: 'detached' });
  });

  test('should start a job on the node an admin chose, and name the node and its GPUs on the job page', async () => {
    const gpuType = freshGpuType('P');
    // Best fit would take the 4-GPU node for 2 GPUs; the admin picks the 8-GPU one instead.
    const big = await addNode(app.server, { gpuType, gpuCount: 8 });
    const small = await addNode(app.server, { gpuType, gpuCount: 4 });
    const elsewhere = await addNode(app.server, { gpuType: freshGpuType('Q'), gpuCount: 8 });
    const job = await jobIn(app.server, JobStatus.APPROVED, { gpuType, gpuCount: 2, name: 'placed by hand' });

    const page = await app.signedIn('en', ADMIN_EMAIL, ADMIN_PASSWORD, 'admin');
    await page.goto(`/jobs/${job.id}`);
    await page.locator('[data-testid="job-detail"][data-status="APPROVED"]').waitFor();
    await expect(page.getByTestId('job-allocation').getAttribute('data-node')).resolves.toBe('');
    await page.getByTestId('start-on-button').click();
    const select = page.getByTestId('start-node');
    await select.locator(`option[data-node-name="${big.name}"]`).waitFor({ state: 'attached' });
    // Only the UP nodes of the job's type, by name, with their free GPUs.
    const byName = [big, small].sort((a, b) => a.name.localeCompare(b.name));
    const offered = (await select.locator('option').allTextContents()).map((text) => text.trim());
    expect(offered).toEqual(['Best fit', ...byName.map((n) => `${n.name} · ${n.gpuCount} of ${n.gpuCount} free`)]);
    expect(offered.join()).not.toContain(elsewhere.name);
    await expectAccessible(page, 'job page, admin, choosing a node, en');
    await select.selectOption(big.id);
    await page.getByTestId('start-confirm').click();

    await page.locator('[data-testid="job-detail"][data-status="RUNNING"]').waitFor();
    const allocation = page.getByTestId('job-allocation');
    await expect.poll(() => allocation.getAttribute('data-node')).toBe(big.name);
    const gpus = ((await allocation.getAttribute('data-gpus')) ?? '').split(',');
    expect(gpus).toHaveLength(2);
    await expect(allocation.textContent()).resolves.toContain(`${big.name} · GPUs ${gpus.join(', ')}`);
  });

  test('should say in words, with the numbers, why a start cannot fit, and offer the choice of a node', async () => {
    const gpuType = freshGpuType('F');
    const node = await addNode(app.server, { gpuType, gpuCount: 4 });
    await runningJob(app.server, { gpuType, gpuCount: 3 });
    const job = await jobIn(app.server, JobStatus.APPROVED, { gpuType, gpuCount: 2, name: 'does not fit' });

    const page = await app.signedIn('en', ADMIN_EMAIL, ADMIN_PASSWORD, 'admin');
    await page.goto(`/jobs/${job.id}`);
    await page.locator('[data-testid="job-detail"][data-status="APPROVED"]').waitFor();
    await page.getByTestId('start-button').click();
    const error = page.getByTestId('start-error');
    await expect.poll(() => error.textContent()).toContain(`Needs 2 ${gpuType}, 1 free on the best node (1 free in all).`);
    await expect(error.getAttribute('data-code')).resolves.toBe('INSUFFICIENT_CAPACITY');
    await page.getByTestId('start-node').waitFor();
    await page.getByTestId('toast').filter({ hasText: 'Needs 2' }).waitFor();
    await expectAccessible(page, 'job page, admin, start refused, en');

    // The same in Persian.
    await page.getByTestId('lang-switch').selectOption('fa');
    await expect.poll(() => error.textContent()).toContain(`۲ GPU از نوع ${gpuType} لازم است؛ بهترین گره ۱ GPU آزاد دارد`);
    await expectAccessible(page, 'job page, admin, start refused, fa');
    // The job is still waiting: nothing was written.
    await expect(page.locator('[data-testid="job-detail"]').getAttribute('data-status')).resolves.toBe('APPROVED');
    // Once the node has room, the same form starts it (best fit).
    await updateNode(app.server, node.id, { gpuCount: 8 });
    await page.getByTestId('start-confirm').click();
    await page.locator('[data-testid="job-detail"][data-status="RUNNING"]').waitFor();
  });
});
