/**
 * Who may go where, and the language switch: a user is kept out of the admin panel, signing out
 * returns to the login page, and Persian turns the whole app right to left.
 */
import { describe, expect, test } from 'vitest';
import { expectAccessible } from './accessibility.js';
import { registerThroughUi, submitJobThroughUi, useBrowserApp } from './support.js';

describe('access and language', () => {
  const app = useBrowserApp();

  test('a user cannot reach the admin panel', async () => {
    const page = await app.newPage();
    await registerThroughUi(page, 'not-admin');
    await page.getByTestId('nav-dashboard').waitFor();
    await expect(page.getByTestId('nav-admin').count()).resolves.toBe(0);
    const adminOnly = page.locator('[data-testid="toast"][data-tone="warning"]').filter({ hasText: 'The admin panel is for admins only.' });

    // Inside the app (a history navigation, as a link or the back button would make)…
    await page.evaluate(() => {
      history.pushState(history.state, '', '/admin');
      window.dispatchEvent(new PopStateEvent('popstate', { state: history.state }));
    });
    await adminOnly.first().waitFor();
    await page.waitForURL((url) => url.pathname === '/');

    // …and by typing the address.
    await page.goto('/admin');
    await page.waitForURL((url) => url.pathname === '/');
    await adminOnly.waitFor();
    await page.getByTestId('quota-meter').waitFor();
    await expect(page.getByTestId('admin-tab-pending').count()).resolves.toBe(0);
    await expect(page.getByTestId('pending-queue').count()).resolves.toBe(0);
    await expect(page.getByTestId('nav-admin').count()).resolves.toBe(0);
    await expectAccessible(page, 'dashboard with the admin-only toast');
  });

  test('logout returns to the login page', async () => {
    const page = await app.newPage();
    await registerThroughUi(page, 'leaving');
    await page.getByTestId('nav-logout').click();

    await page.waitForURL((url) => url.pathname === '/login');
    await page.getByTestId('login-form').waitFor();
    const notice = page.getByTestId('session-notice');
    await expect(notice.getAttribute('data-notice')).resolves.toBe('signedOut');
    await expect(notice.textContent()).resolves.toContain('You have signed out.');
    await expectAccessible(page, 'login after signing out');
    await page.getByTestId('nav-login').waitFor();
    await expect(page.getByTestId('nav-logout').count()).resolves.toBe(0);
    await expect(page.getByTestId('live-status').count()).resolves.toBe(0);
    await expect(page.evaluate(() => [localStorage.getItem('gpuaas.token'), localStorage.getItem('gpuaas.user')])).resolves.toEqual([null, null]);

    // The session is gone for the whole browser: a new tab on the dashboard lands on the login page.
    const other = await page.context().newPage();
    await other.goto('/');
    await other.waitForURL((url) => url.pathname === '/login');
    await other.getByTestId('login-form').waitFor();
    await other.close();
  });

  test('the Persian switch renders the app right to left', async () => {
    const page = await app.newPage();
    await registerThroughUi(page, 'farsi');
    await submitJobThroughUi(page, { name: 'whisper-large', gpuCount: 2, hours: 3 });
    await expect(page.evaluate(() => [document.documentElement.dir || 'ltr', document.documentElement.lang])).resolves.toEqual(['ltr', 'en']);

    await page.getByTestId('lang-switch').selectOption('fa');

    /** What the page says of its direction and its Bootstrap stylesheet. */
    const layout = () =>
      page.evaluate(() => {
        const links = [...document.querySelectorAll<HTMLLinkElement>('link[rel="stylesheet"]')].filter((l) => l.href.includes('bootstrap'));
        const sheet = document.getElementById('bootstrap-stylesheet') as HTMLLinkElement | null;
        // A probe: `.text-end` aligns to the left only in Bootstrap's RTL build.
        const probe = document.createElement('div');
        probe.className = 'text-end';
        document.body.append(probe);
        const textEnd = getComputedStyle(probe).textAlign;
        probe.remove();
        return {
          dir: document.documentElement.dir,
          lang: document.documentElement.lang,
          bootstrapLinks: links.map((l) => l.href.split('/').pop()?.replace(/-[\w-]+\.css$/, '.css')),
          loaded: (sheet?.sheet?.cssRules.length ?? 0) > 0,
          textEnd,
          bodyDirection: getComputedStyle(document.body).direction,
        };
      });
    const rtl = { dir: 'rtl', lang: 'fa', bootstrapLinks: ['bootstrap.rtl.min.css'], loaded: true, textEnd: 'left', bodyDirection: 'rtl' };
    await expect.poll(layout, { timeout: 20_000 }).toEqual(rtl);

    // The words are Persian, numbers in Persian digits, and the brand sits at the right.
    await expect(page.getByTestId('nav-logout').textContent()).resolves.toContain('خروج');
    await expect(page.getByTestId('quota-used').textContent()).resolves.toContain('۱۰۰');
    await expect(page.getByTestId('job-status').first().getAttribute('data-status')).resolves.toBe('PENDING');
    const brand = await page.getByTestId('nav-brand').boundingBox();
    expect(brand!.x).toBeGreaterThan(1280 / 2);

    // The choice is remembered: a reload comes back right to left.
    await expect(page.evaluate(() => localStorage.getItem('gpuaas.locale'))).resolves.toBe('fa');
    await page.reload();
    await page.getByTestId('quota-meter').waitFor();
    await expect.poll(layout, { timeout: 20_000 }).toEqual(rtl);
    await expect(page.getByTestId('lang-switch').inputValue()).resolves.toBe('fa');
    await expectAccessible(page, 'dashboard in Persian');
  });
});
