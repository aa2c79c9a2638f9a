/**
 * The API tokens page in the browser, in English and Persian: reached from the navbar, a token
 * created with its value shown once (copy button, the command-line client's login command), the
 * list with when each was created, last used and expires, and a revocation that the API obeys at
 * once. axe-core checks each state.
 */
import type { Page } from 'playwright-core';
import { describe, expect, test } from 'vitest';
import { TEST_PASSWORD, errorCode, gqlAt } from '../../server/test/harness.js';
import { expectAccessible } from './accessibility.js';
import { APP_LOCALES, signInThroughUi, type AppLocale, useBrowserApp } from './support.js';

/** The words the tests look for, in `locale`. */
function wordsOf(locale: AppLocale) {
  return locale === 'en'
    ? { title: 'API tokens', created: 'Token “ci runner” created', never: 'Never', nameRequired: 'Enter a name.', revoked: 'Token “ci runner” revoked.' }
    : { title: 'توکن‌های API', created: 'توکن «ci runner» ساخته شد', never: 'هرگز', nameRequired: 'یک نام وارد کنید.', revoked: 'توکن «ci runner» باطل شد.' };
}

describe('the API tokens page', () => {
  const app = useBrowserApp({ EVENT_POLL_MS: '100' });

  /** A new page that starts in `locale`, allowed the clipboard. */
  async function pageIn(locale: AppLocale): Promise<Page> {
    const page = await app.pageIn(locale);
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: app.server.url });
    return page;
  }

  test('should send a visitor to sign in first, and back to the page after', async () => {
    const user = await app.server.register('tokens-redirect');
    const page = await pageIn('en');
    await page.goto('/settings/tokens');
    await page.waitForURL((url) => url.pathname === '/login' && url.searchParams.get('redirect') === '/settings/tokens');
    await page.getByTestId('login-email').fill(user.email);
    await page.getByTestId('login-password').fill(TEST_PASSWORD);
    await page.getByTestId('login-submit').click();
    await page.waitForURL((url) => url.pathname === '/settings/tokens');
    await page.getByTestId('tokens-none').waitFor();
  });

  describe.each(APP_LOCALES)('in %s', (locale) => {
    const words = wordsOf(locale);

    test(`should create a token shown once, list it, and revoke it so the API refuses it (${locale})`, async () => {
      const user = await app.server.register('tokens-ui');
      const page = await pageIn(locale);
      await signInThroughUi(page, user.email, TEST_PASSWORD);
      await page.getByTestId('nav-tokens').click();
      await page.waitForURL((url) => url.pathname === '/settings/tokens');
      await expect.poll(() => page.title()).toContain(words.title);
      await page.getByTestId('tokens-none').waitFor();

      // A name is needed before anything is sent.
      await page.getByTestId('token-create').click();
      await expect.poll(() => page.getByTestId('token-name-error').textContent()).toBe(words.nameRequired);

      await page.getByTestId('token-name').fill('ci runner');
      await page.getByTestId('token-expiry').selectOption('30');
      await page.getByTestId('token-create').click();
      await page.getByTestId('token-created').getByText(words.created).waitFor();
      const token = await page.getByTestId('token-value').inputValue();
      expect(token).toMatch(/^gpa_[A-Za-z0-9_-]{43}$/);
      expect(await page.getByTestId('token-login-command').textContent()).toBe(`gpuaas login --url ${app.server.url} --token ${token}`);
      await page.getByTestId('token-copy').click();
      await page.getByTestId('token-copy-status').filter({ hasText: /\S/ }).waitFor();
      expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(token);
      await expectAccessible(page, `tokens page with a new token, ${locale}`);

      // Listed without its value, never used yet, expiring in 30 days.
      const row = page.getByTestId('token-row').filter({ hasText: 'ci runner' });
      await row.waitFor();
      expect(await row.getByTestId('token-last-used').textContent()).toContain(words.never);
      const expires = await row.getByTestId('token-expires').locator('time').getAttribute('datetime');
      expect(Math.round((Date.parse(expires!) - Date.now()) / 86_400_000)).toBe(30);
      expect(await page.getByTestId('tokens-table').textContent()).not.toContain(token.slice(4));

      // Shown once: after "done" and a reload, the value is nowhere on the page.
      await page.getByTestId('token-done').click();
      await page.getByTestId('token-form').waitFor();
      const me = await gqlAt<{ me: { id: string } }>(app.server.url, '{ me { id } }', {}, token);
      expect(me.data?.me.id).toBe(user.id);
      await page.reload();
      await row.waitFor();
      expect(await page.content()).not.toContain(token.slice(4));
      // The use just made shows as its last use.
      await expect.poll(async () => row.getByTestId('token-last-used').locator('time').count()).toBe(1);
      await expectAccessible(page, `tokens page with a used token, ${locale}`);

      // Revoking asks first, then the API refuses the token at once.
      await row.getByTestId('token-revoke').click();
      await row.getByTestId('token-keep').click();
      await row.getByTestId('token-revoke').click();
      await row.getByTestId('token-confirm-revoke').click();
      await page.getByText(words.revoked).waitFor();
      await page.getByTestId('tokens-none').waitFor();
      expect(errorCode(await gqlAt(app.server.url, '{ me { id } }', {}, token))).toBe('UNAUTHENTICATED');
    });
  });
});
