/**
 * Notifications in the browser, in English and Persian: the navbar's bell counts up when an admin
 * approves the user's job (live, no reload), its list and the notifications page show it, and
 * marking read clears the count; the settings page turns e-mail on, creates a webhook whose
 * signing secret is shown once (and never again), and shows its delivery log. axe-core checks
 * each state.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { mustTransition, submitJob } from '../../server/test/factories.js';
import { TEST_PASSWORD } from '../../server/test/harness.js';
import { WebhookReceiver } from '../../server/test/notification-helpers.js';
import { expectAccessible } from './accessibility.js';
import {
  APP_LOCALES,
  saveScreenshot,
  signInThroughUi,
  type AppLocale,
  useBrowserApp,
  waitLive,
} from './support.js';

/** The words the tests look for, in `locale`. */
function wordsOf(locale: AppLocale, name: string) {
  return locale === 'en'
    ? { one: '1', approved: `“${name}” was approved`, toast: `“${name}” is now Approved`, delivered: 'Delivered' }
    : { one: '۱', approved: `«${name}» تأیید شد`, toast: `«${name}» اکنون تأییدشده است`, delivered: 'تحویل شد' };
}

describe('notifications in the browser', () => {
  const app = useBrowserApp(
    // A worker runs the notification producer; webhooks may reach this machine's receiver.
    { WEBHOOK_ALLOW_PRIVATE: 'true', NOTIFICATION_POLL_MS: '100', EVENT_POLL_MS: '100' },
    'all',
  );
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    receiver = await new WebhookReceiver().start();
  });

  afterAll(async () => {
    await receiver?.stop();
  });

  describe.each(APP_LOCALES)('in %s', (locale) => {
    test(`the bell count rises when an admin approves the user's job, the list shows it, and marking read clears it (${locale})`, async () => {
      const admin = await app.server.loginAdmin();
      const user = await app.server.register(`bell-${locale}`);
      const name = `bell job ${locale}`;
      const job = await submitJob(app.server, user, { name, gpuCount: 1, hours: 1 });
      const words = wordsOf(locale, name);
      const page = await app.pageIn(locale);
      await signInThroughUi(page, user.email, TEST_PASSWORD);
      await waitLive(page);
      await expect(page.getByTestId('bell-count').count()).resolves.toBe(0);

      await mustTransition(app.server, 'approve', job.id, admin.token);
      // Live: the count, and a toast from the same notification.
      await page.getByTestId('bell-count').filter({ hasText: words.one }).waitFor();
      await page.getByTestId('toast').filter({ hasText: words.toast }).waitFor();
      await expect(page.getByTestId('bell').getAttribute('aria-label')).resolves.toContain(words.one);

      await page.getByTestId('bell').click();
      const item = page.getByTestId('bell-panel').getByTestId('notification').filter({ hasText: words.approved });
      await item.waitFor();
      await expect(item.getAttribute('data-unread')).resolves.toBe('true');
      await expectAccessible(page, `bell open, ${locale}`);
      await saveScreenshot(page, `notifications bell open ${locale}`);

      await page.getByTestId('bell-mark-all').click();
      await page.getByTestId('bell-count').waitFor({ state: 'detached' });
      await page.locator('[data-testid="bell-panel"] [data-testid="notification"][data-unread="false"]').filter({ hasText: words.approved }).waitFor();

      // The full list, where the same notification links to its job.
      await page.getByTestId('bell-see-all').click();
      await page.getByTestId('notifications-list').getByTestId('notification').filter({ hasText: words.approved }).waitFor();
      await expectAccessible(page, `notifications page, ${locale}`);
      await page.getByTestId('notifications-list').getByTestId('notification-line').first().click();
      await page.waitForURL((url) => url.pathname === `/jobs/${job.id}`);
    });

    test(`the settings page turns e-mail on and creates a webhook whose secret is shown once (${locale})`, async () => {
      const admin = await app.server.loginAdmin();
      const user = await app.server.register(`hooks-${locale}`);
      const page = await app.pageIn(locale);
      await signInThroughUi(page, user.email, TEST_PASSWORD);
      await waitLive(page);
      await page.getByTestId('bell').click();
      await page.getByTestId('bell-settings').click();
      await page.getByTestId('notification-settings-page').waitFor();
      await page.getByTestId('webhooks-empty').waitFor();
      await expectAccessible(page, `notification settings, ${locale}`);

      await page.getByTestId('email-opt-in').check();
      await page.getByTestId('email-saved').filter({ hasText: /\S/ }).waitFor();

      // Refused by the server in words, nothing written.
      await page.getByTestId('webhook-url').fill('ftp://hooks.example.org/x');
      await page.getByTestId('webhook-create').click();
      await page.getByTestId('webhook-error').waitFor();
      await expectAccessible(page, `notification settings, webhook refused, ${locale}`);

      const path = `e2e-${locale}`;
      await page.getByTestId('webhook-url').fill(receiver.urlFor(path));
      await page.getByTestId('webhook-create').click();
      const secretBox = page.getByTestId('webhook-secret');
      await secretBox.waitFor();
      const secret = (await secretBox.textContent())!.trim();
      expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
      receiver.trust(path, secret);
      await page.getByTestId('webhook-row').waitFor();
      await expectAccessible(page, `notification settings, new webhook secret, ${locale}`);
      await saveScreenshot(page, `notifications webhook secret shown once ${locale}`);

      // Once: gone when dismissed, and nowhere after a reload.
      await page.getByTestId('webhook-secret-done').click();
      await secretBox.waitFor({ state: 'detached' });
      await page.reload();
      await page.getByTestId('webhook-row').waitFor();
      await expect(page.content()).resolves.not.toContain(secret);

      // A job of the user's, approved: the message arrives signed, and the log says delivered.
      const job = await submitJob(app.server, user, { name: `hooked ${locale}`, gpuCount: 1, hours: 1 });
      await mustTransition(app.server, 'approve', job.id, admin.token);
      await expect.poll(() => receiver.accepted.filter((m) => m.body.data.jobId === job.id).length, { timeout: 15_000 }).toBe(1);
      expect(receiver.invalid).toEqual([]);
      await page.getByTestId('webhook-show-log').click();
      await page.locator('[data-testid="webhook-delivery"][data-status="DELIVERED"]').filter({ hasText: wordsOf(locale, '').delivered }).waitFor();
      await expectAccessible(page, `notification settings, delivery log, ${locale}`);

      await page.getByTestId('webhook-delete').click();
      await page.getByTestId('webhooks-empty').waitFor();
    });
  });
});
