/**
 * What the browser tests share: a real gpuaas server serving the built app, Debian's Chromium
 * driven by playwright-core (which never downloads a browser), screenshots, and the few UI steps
 * every test takes (register, sign in, submit a job). Everything is done through the UI.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import type { ProcessRole } from '../../server/src/config.js';
import { addNode, dataOf, freshGpuType, runningJob, type NodeView, type StartedJob } from '../../server/test/factories.js';
import { TEST_PASSWORD, TestServer } from '../../server/test/harness.js';

const here = path.dirname(fileURLToPath(import.meta.url));
/** The built app (made by build-web.ts, the project's global setup). */
export const WEB_DIST = path.resolve(here, '../dist');
/** Where each test leaves a screenshot of its final state (ignored by git). */
export const RESULTS_DIR = path.resolve(here, '../test-results');

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Generous waits: the suite must pass on a busy two-core machine. */
export const UI_TIMEOUT_MS = 20_000;

/** A server on a fresh database serving the SPA at `/`. */
export function startAppServer(env: Record<string, string> = {}, role: ProcessRole = 'api'): Promise<TestServer> {
  return TestServer.start({ WEB_DIST, ...env }, { role });
}

/**
 * Launches Chromium headless. Playwright gives every launch a fresh temporary profile
 * (`--user-data-dir` in the system's temp folder, removed on close); it refuses the flag in
 * `args`. One browser serves every context of a test file.
 */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS, timeout: 60_000 });
}

const pageErrors = new WeakMap<Page, string[]>();

/** A page in a new browser context (its own storage, so its own session) on `baseURL`. */
export async function openPage(browser: Browser, baseURL: string): Promise<Page> {
  const context = await browser.newContext({ baseURL, viewport: { width: 1280, height: 900 }, locale: 'en-US', timezoneId: 'UTC' });
  context.setDefaultTimeout(UI_TIMEOUT_MS);
  context.setDefaultNavigationTimeout(UI_TIMEOUT_MS);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  pageErrors.set(page, errors);
  return page;
}

/** Uncaught errors the app threw in `page`. */
export function errorsOf(page: Page): readonly string[] {
  return pageErrors.get(page) ?? [];
}

/** A file name for a test's screenshot: its name in lower-case words joined by dashes. */
export function screenshotName(testName: string, suffix = ''): string {
  const slug = testName
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 120);
  return `${slug}${suffix ? `.${suffix}` : ''}.png`;
}

/** Saves what `page` shows now under web/test-results/; returns the file's path. */
export async function saveScreenshot(page: Page, testName: string, suffix = ''): Promise<string> {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, screenshotName(testName, suffix));
  await page.screenshot({ path: file, fullPage: true, timeout: UI_TIMEOUT_MS });
  return file;
}

/**
 * Pages of one test: each is screenshotted (the first under the test's name, the others with
 * their label added) and its context closed after the test, whether it passed or not, and the
 * test fails if the app threw in any of them.
 */
export class TestPages {
  private pages: { page: Page; label: string; close: boolean }[] = [];

  /** Tracks `page`; `close: false` for a page shared by the tests of a file. */
  track(page: Page, label = '', { close = true }: { close?: boolean } = {}): Page {
    this.pages.push({ page, label, close });
    return page;
  }

  async finish(testName: string): Promise<void> {
    const pages = this.pages;
    this.pages = [];
    try {
      for (const { page, label } of pages) await saveScreenshot(page, testName, label);
      for (const { page, label } of pages) expect(errorsOf(page), `uncaught errors in the ${label || 'main'} page`).toEqual([]);
    } finally {
      await Promise.all(pages.filter((p) => p.close).map((p) => p.page.context().close()));
    }
  }
}

/** A unique email for a test user. */
export function uniqueEmail(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}@example.org`;
}

/** The signed-in user as the app stores it. */
export async function sessionUser(page: Page): Promise<{ id: string; email: string; role: string }> {
  const raw = await page.evaluate(() => localStorage.getItem('gpuaas.user'));
  if (!raw) throw new Error('no user in localStorage["gpuaas.user"]');
  return JSON.parse(raw) as { id: string; email: string; role: string };
}

/** Counts full page loads of `page` from now on (an SPA navigation is not one). */
export function countLoads(page: Page): () => number {
  let loads = 0;
  page.on('load', () => (loads += 1));
  return () => loads;
}

/** Waits until the app's subscription socket is up, so no live update can be missed. */
export async function waitLive(page: Page): Promise<void> {
  await page.locator('[data-testid="live-status"][data-state="live"]').waitFor();
}

/** Registers a new account through the register page and lands on the dashboard. */
export async function registerThroughUi(page: Page, prefix = 'user'): Promise<{ id: string; email: string }> {
  const email = uniqueEmail(prefix);
  await page.goto('/register');
  await page.getByTestId('register-email').fill(email);
  await page.getByTestId('register-password').fill(TEST_PASSWORD);
  await page.getByTestId('register-submit').click();
  await page.waitForURL((url) => url.pathname === '/');
  await page.getByTestId('nav-user').getByText(email, { exact: true }).waitFor();
  await page.getByTestId('quota-meter').waitFor();
  const user = await sessionUser(page);
  return { id: user.id, email };
}

/** Signs in through the login page and lands on the dashboard. */
export async function signInThroughUi(page: Page, email: string, password: string): Promise<void> {
  await page.goto('/login');
  await page.getByTestId('login-email').fill(email);
  await page.getByTestId('login-password').fill(password);
  await page.getByTestId('login-submit').click();
  await page.waitForURL((url) => url.pathname === '/');
  await page.getByTestId('nav-user').getByText(email, { exact: true }).waitFor();
}

export interface JobInput {
  name: string;
  gpuCount: number;
  hours: number;
  gpuType?: string;
}

/** Fills the dashboard's submit form (without sending it). */
export async function fillJobForm(page: Page, job: JobInput): Promise<void> {
  await page.getByTestId('submit-name').fill(job.name);
  if (job.gpuType) await page.getByTestId('submit-gpu-type').selectOption(job.gpuType);
  await page.getByTestId('submit-gpu-count').fill(String(job.gpuCount));
  await page.getByTestId('submit-hours').fill(String(job.hours));
}

/** The row of the signed-in user's job named `name` on the dashboard. */
export function myJobRowNamed(page: Page, name: string): Locator {
  return page.getByTestId('job-row').filter({ has: page.getByTestId('job-link').getByText(name, { exact: true }) });
}

/** The dashboard row of job `id`, optionally only while it has `status`. */
export function myJobRow(page: Page, id: string, status?: string): Locator {
  return page.locator(`[data-testid="job-row"][data-job-id="${id}"]${status ? `[data-status="${status}"]` : ''}`);
}

/** Submits a job from the dashboard and returns its id once its row shows. */
export async function submitJobThroughUi(page: Page, job: JobInput): Promise<string> {
  await fillJobForm(page, job);
  await page.getByTestId('submit-job').click();
  const row = myJobRowNamed(page, job.name);
  await row.waitFor();
  const id = await row.getAttribute('data-job-id');
  if (!id) throw new Error(`the row of ${job.name} has no data-job-id`);
  return id;
}

/** The quota meter's numbers, as its data attributes say. */
export async function quotaOf(page: Page): Promise<{ used: number; remaining: number; limit: number; valueNow: number }> {
  const meter = page.getByTestId('quota-meter');
  const [used, remaining, limit, valueNow] = await Promise.all([
    meter.getAttribute('data-used'),
    meter.getAttribute('data-remaining'),
    meter.getAttribute('data-limit'),
    meter.getByRole('progressbar').getAttribute('aria-valuenow'),
  ]);
  return { used: Number(used), remaining: Number(remaining), limit: Number(limit), valueNow: Number(valueNow) };
}

/** The app's languages, as its language switch names them. */
export const APP_LOCALES = ['en', 'fa'] as const;
export type AppLocale = (typeof APP_LOCALES)[number];

/**
 * Makes every load of `page` from now on start in `locale`, as if the user had chosen it
 * before (the app reads `localStorage["gpuaas.locale"]` at start).
 */
export async function startInLocale(page: Page, locale: AppLocale): Promise<void> {
  await page.addInitScript((value) => localStorage.setItem('gpuaas.locale', value), locale);
}

/** Waits until `page` shows the app in `locale`, its Bootstrap build loaded. */
export async function waitForLocale(page: Page, locale: AppLocale): Promise<void> {
  await expect.poll(() => page.evaluate(() => document.documentElement.lang)).toBe(locale);
}

// ---- A test file's server and browser --------------------------------------------------------

/**
 * What the tests of a file share: a server serving the app, one Chromium, and the pages of the
 * test that runs. `useBrowserApp` makes it; `server` and `browser` are set before the first test.
 */
export class BrowserApp {
  server!: TestServer;
  browser!: Browser;
  readonly pages = new TestPages();

  /** A new page on the server, tracked for its screenshot. */
  async newPage(label = ''): Promise<Page> {
    return this.pages.track(await openPage(this.browser, this.server.url), label);
  }

  /** A new page that starts in `locale`, tracked for its screenshot. */
  async pageIn(locale: AppLocale, label = ''): Promise<Page> {
    const page = await this.newPage(label);
    await startInLocale(page, locale);
    return page;
  }

  /** A new page starting in `locale`, signed in as `email`, live, tracked for its screenshot. */
  async signedIn(locale: AppLocale, email: string, password: string, label = ''): Promise<Page> {
    const page = await this.pageIn(locale, label);
    await signInThroughUi(page, email, password);
    await waitForLocale(page, locale);
    await waitLive(page);
    return page;
  }
}

/**
 * Hooks a server on a fresh database (`env` and `role` as for `startAppServer`) and Chromium into
 * the calling `describe`: both start before its tests and close after them. After each test its
 * pages are finished (`TestPages.finish`), then `afterEachTest` runs, even if finishing failed.
 */
export function useBrowserApp(
  env: Record<string, string> = {},
  role: ProcessRole = 'api',
  { afterEachTest }: { afterEachTest?: () => Promise<void> } = {},
): BrowserApp {
  const app = new BrowserApp();
  beforeAll(async () => {
    [app.server, app.browser] = await Promise.all([startAppServer(env, role), launchBrowser()]);
  });
  afterEach(async ({ task }) => {
    try {
      await app.pages.finish(task.name);
    } finally {
      await afterEachTest?.();
    }
  });
  afterAll(async () => {
    // Unset where the start failed.
    await app.browser?.close();
    await app.server?.close();
  });
  return app;
}

// ---- The scheduler ----------------------------------------------------------------------------

/** The scheduler's modes, as the API names them. */
export type SchedulingMode = 'MANUAL' | 'AUTO';

/** Sets the scheduler's mode as the admin, through the API; the change must be accepted. */
export async function setSchedulingMode(server: TestServer, mode: SchedulingMode): Promise<void> {
  const admin = await server.loginAdmin();
  const res = await server.gql<{ updateSchedulerSettings: { mode: SchedulingMode } }>(
    'mutation UpdateSchedulerSettings($input: SchedulerSettingsInput!) { updateSchedulerSettings(input: $input) { mode } }',
    { input: { mode } },
    admin.token,
  );
  expect(dataOf(res, 'updateSchedulerSettings').updateSchedulerSettings.mode).toBe(mode);
}

/**
 * A GPU type of the test's own: one node of `gpuCount` GPUs, all held by another user's job
 * with a long time limit, so the type's jobs queue behind it until the test ends that job.
 */
export async function busyGpuType(server: TestServer, prefix: string, gpuCount = 2): Promise<{ gpuType: string; node: NodeView; running: StartedJob }> {
  const gpuType = freshGpuType(prefix);
  const node = await addNode(server, { gpuType, gpuCount });
  const running = await runningJob(server, { gpuType, gpuCount, hours: 40, name: 'holds the node' });
  return { gpuType, node, running };
}

/** The Queue page's row of job `id` (its `data-job-id`; other users' jobs have none for a user). */
export function queueRow(page: Page, id: string): Locator {
  return page.locator(`[data-testid="queue-row"][data-job-id="${id}"]`);
}

/** The job ids of the Queue page's rows in their order ('' for another user's job). */
export function queueOrder(page: Page): Promise<string[]> {
  return page.locator('[data-testid="queue-row"]').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-job-id') ?? ''));
}
