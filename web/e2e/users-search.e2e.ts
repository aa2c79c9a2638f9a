/**
 * The admin panel's users table in the browser, in English and Persian: finding users by any part
 * of their email, the table narrowing as the admin types, a word when nobody matches, and every
 * user back once the search is cleared. axe-core checks the searched and the empty table.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { ADMIN_EMAIL, ADMIN_PASSWORD, type TestServer } from '../../server/test/harness.js';
import { expectAccessible } from './accessibility.js';
import { APP_LOCALES, launchBrowser, openPage, signInThroughUi, startAppServer, startInLocale, TestPages, type AppLocale } from './support.js';

describe('finding users in the admin panel', () => {
  let server: TestServer;
  let browser: Browser;
  const pages = new TestPages();

  beforeAll(async () => {
    [server, browser] = await Promise.all([startAppServer(), launchBrowser()]);
  });

  afterEach(async ({ task }) => {
    await pages.finish(task.name);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  async function adminPage(locale: AppLocale): Promise<Page> {
    const page = pages.track(await openPage(browser, server.url));
    await startInLocale(page, locale);
    await signInThroughUi(page, ADMIN_EMAIL, ADMIN_PASSWORD);
    await page.goto('/admin?tab=users');
    return page;
  }

  const rowEmails = (page: Page) => page.getByTestId('user-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-email')));

  describe.each(APP_LOCALES)('in %s', (locale) => {
    test(`should narrow the table to the users whose email contains what the admin types (${locale})`, async () => {
      const tag = `lab${Date.now().toString(36)}${locale}`;
      const wanted = [await server.register(`${tag}-ada`), await server.register(`${tag}-grace`)];
      const other = await server.register(`other-${locale}`);
      const page = await adminPage(locale);
      await page.locator(`[data-testid="user-row"][data-user-id="${other.id}"]`).waitFor();

      // Typed in capitals: the search ignores case.
      await page.getByTestId('users-search').fill(tag.toUpperCase());
      await expect.poll(() => rowEmails(page)).toEqual(wanted.map((u) => u.email));
      await expectAccessible(page, `admin, users, searched, ${locale}`);

      await page.getByTestId('users-search').fill(`${tag}-nobody`);
      await page.getByTestId('users-none').waitFor();
      await expect(page.getByTestId('users-none').textContent()).resolves.toContain(`${tag}-nobody`);
      expect(await page.getByTestId('user-row').count()).toBe(0);
      await expectAccessible(page, `admin, users, none found, ${locale}`);

      await page.getByTestId('users-search').fill('');
      await page.locator(`[data-testid="user-row"][data-user-id="${other.id}"]`).waitFor();
      await expect(page.getByTestId('users-none').count()).resolves.toBe(0);
    });
  });
});
