import type { NotificationIntent } from './notification-plan.js';
import type { IntentPayloads } from './outbox.repository.js';

/** The Standard Webhooks message id (`webhook-id`) of outbox row `id`: the same on every retry. */
export function messageId(id: string): string {
  return `msg_${id}`;
}

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** The page that shows what a notification is about: the job's page, or the notification list. */
export function linkOf(intent: Pick<NotificationIntent, 'jobId' | 'kind'>, publicUrl: string): string {
  if (intent.jobId !== null) return `${publicUrl}/jobs/${intent.jobId}`;
  if (intent.kind === 'NODE_DOWN') return `${publicUrl}/cluster`;
  return `${publicUrl}/notifications`;
}

/**
 * What the e-mail and webhook channels send for an intent: an e-mail with the title as subject,
 * the body and a link as plain text and as HTML; a webhook body in the Standard Webhooks shape
 * (`type`, `timestamp`, `data`), the link included.
 */
export function payloadsFor(intent: NotificationIntent, publicUrl: string): IntentPayloads {
  const link = linkOf(intent, publicUrl);
  const linkText = intent.jobId !== null ? 'Open the job' : 'Open gpuaas';
  return {
    email: {
      subject: `[gpuaas] ${intent.title}`,
      text: `${intent.body}\n\n${linkText}: ${link}\n\nYou receive this because e-mail notifications are on in your gpuaas settings (${publicUrl}/settings/notifications).\n`,
      html:
        `<!doctype html><html><body style="font-family:sans-serif">` +
        `<p>${escapeHtml(intent.body)}</p>` +
        `<p><a href="${escapeHtml(link)}">${linkText}</a></p>` +
        `<p style="color:#555;font-size:small">You receive this because e-mail notifications are on in your ` +
        `<a href="${escapeHtml(`${publicUrl}/settings/notifications`)}">gpuaas settings</a>.</p>` +
        `</body></html>`,
    },
    webhook: {
      type: intent.kind,
      timestamp: intent.at.toISOString(),
      data: { ...intent.data, title: intent.title, body: intent.body, url: link },
    },
  };
}
