/**
 * The admin panel's users table in the browser, in English and Persian: finding users by any part
 * of their email, the table narrowing as the admin types, a word when nobody matches, and every
 * user back once the search is cleared. axe-core checks the searched and the empty table.
 */
import type { Page } from 'playwright-core';
import { describe, expect, test } from 'vitest';
import { ADMIN_EMAIL, ADMIN_PASSWORD } from '../../server/test/harness.js';
import { expectAccessible } from './accessibility.js';
import { APP_LOCALES, type AppLocale, useBrowserApp } from './support.js';

describe('finding users in the admin panel', () => {
  const app = useBrowserApp();

  async function adminPage(locale: AppLocale): Promise<Page> {
    const page = await app.signedIn(locale, ADMIN_EMAIL, ADMIN_PASSWORD);
    await page.goto('/admin?tab=users');
    return page;
  }

  const rowEmails = (page: Page) => page.getByTestId('user-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-email')));

  describe.each(APP_LOCALES)('in %s', (locale) => {
    test(`should narrow the table to the users whose email contains what the admin types (${locale})`, async () => {
      const tag = `lab${Date.now().toString(36)}${locale}`;
      const wanted = [await app.server.register(`${tag}-ada`), await app.server.register(`${tag}-grace`)];
      const other = await app.server.register(`other-${locale}`);
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
