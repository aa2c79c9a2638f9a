/**
 * SPEC §9, e-mail: with SMTP_URL set, notifications reach a real SMTP server (started here with
 * the `smtp-server` package) as text and HTML with a link to the job, for users who opted in.
 */
import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestServer, type TestUser } from '../harness.js';
import { dataOf, mustTransition, submitJob, waitUntil } from '../factories.js';
import { UPDATE_PREFERENCES, notificationsOf } from '../notification-helpers.js';

/** One message as the SMTP server received it: the envelope's recipients and the parsed message. */
interface Received {
  to: string[];
  mail: ParsedMail;
}

describe('e-mail notifications', () => {
  let server: TestServer;
  let admin: TestUser;
  let smtp: SMTPServer;
  const inbox: Received[] = [];

  beforeAll(async () => {
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      // A mailbox that refuses mail: the delivery fails and waits for its retry.
      onRcptTo(address, _session, callback) {
        callback(address.address.startsWith('bounce-') ? Object.assign(new Error('mailbox unavailable'), { responseCode: 550 }) : undefined);
      },
      onData(stream, session, callback) {
        simpleParser(stream)
          .then((mail) => {
            inbox.push({ to: session.envelope.rcptTo.map((r) => r.address), mail });
            callback();
          })
          .catch((error: Error) => callback(error));
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', () => resolve()));
    const port = (smtp.server.address() as AddressInfo).port;
    ({ server, admin } = await TestServer.startWithAdmin(
      {
        SMTP_URL: `smtp://127.0.0.1:${port}`,
        SMTP_FROM: 'GPU service <gpus@lab.example>',
        PUBLIC_URL: 'https://gpus.lab.example/',
        NOTIFICATION_POLL_MS: '50',
      },
      { role: 'all' },
    ));
  });

  afterAll(async () => {
    await server?.close();
    await new Promise<void>((resolve) => smtp.close(() => resolve()));
  });

  it('should mail users who opted in, with the subject, text, HTML and a link to the job, and nobody else', async () => {
    const keen = await server.register('keen');
    const quiet = await server.register('quiet');
    dataOf(await server.gql(UPDATE_PREFERENCES, { input: { email: true } }, keen.token), 'opt in');
    const a = await submitJob(server, keen, { name: 'mailed <job> & co', gpuCount: 1, hours: 1 });
    const b = await submitJob(server, quiet, { name: 'not mailed', gpuCount: 1, hours: 1 });
    await mustTransition(server, 'approve', a.id, admin.token);
    await mustTransition(server, 'reject', b.id, admin.token, 'no');

    await waitUntil(() => inbox.some((m) => m.to.includes(keen.email)), { timeoutMs: 10_000, what: 'the e-mail' });
    // The quiet user's in-app notification exists: only their e-mail is missing.
    await waitUntil(async () => (await notificationsOf(server, quiet)).length === 1, { what: "the quiet user's in-app notification" });
    await new Promise((r) => setTimeout(r, 500));

    const mine = inbox.filter((m) => m.to.includes(keen.email));
    expect(mine).toHaveLength(1);
    const { mail } = mine[0]!;
    expect(mail.subject).toBe('[gpuaas] Job "mailed <job> & co" approved');
    expect(mail.from?.text).toBe('"GPU service" <gpus@lab.example>');
    const link = `https://gpus.lab.example/jobs/${a.id}`;
    expect(mail.text).toContain(link);
    expect(mail.text).toContain('was approved');
    expect(mail.html).toContain(`href="${link}"`);
    expect(mail.html).toContain('mailed &lt;job&gt; &amp; co');
    expect(inbox.some((m) => m.to.includes(quiet.email))).toBe(false);

    const delivered = await server.db.query(`select status, attempts from notification_deliveries where channel = 'EMAIL' and recipient = $1`, [keen.email]);
    expect(delivered.rows).toEqual([{ status: 'DELIVERED', attempts: 1 }]);
  });

  it('should keep a refused e-mail in the outbox with its error, for a retry', async () => {
    const bounced = await server.register('bounce');
    dataOf(await server.gql(UPDATE_PREFERENCES, { input: { email: true } }, bounced.token), 'opt in');
    const job = await submitJob(server, bounced, { gpuCount: 1, hours: 1 });
    await mustTransition(server, 'approve', job.id, admin.token);
    const row = await waitUntil(async () => {
      const res = await server.db.query<{ status: string; attempts: number; last_error: string | null }>(
        `select status, attempts, last_error from notification_deliveries where channel = 'EMAIL' and recipient = $1`,
        [bounced.email],
      );
      return res.rows[0]?.last_error ? res.rows[0] : undefined;
    }, { timeoutMs: 10_000, what: 'the refused delivery' });
    expect(row).toMatchObject({ status: 'PENDING', attempts: 1 });
    expect(row.last_error).toMatch(/mailbox unavailable/);
    expect(inbox.some((m) => m.to.includes(bounced.email))).toBe(false);
  });
});
