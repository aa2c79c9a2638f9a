import nodemailer, { type Transporter } from 'nodemailer';
import type { SendResult } from './webhook-sender.js';

/** Sends notification e-mails through the SMTP server of SMTP_URL. */
export class EmailSender {
  private readonly transport: Transporter;

  constructor(
    smtpUrl: string,
    private readonly from: string,
    timeoutMs: number,
  ) {
    // Every wait bounded, so a dead SMTP server holds a delivery slot for a while and nothing else.
    // The URL's own settings win; these apply where it sets none.
    this.transport = nodemailer.createTransport({
      url: smtpUrl,
      connectionTimeout: timeoutMs,
      greetingTimeout: timeoutMs,
      socketTimeout: timeoutMs,
    });
  }

  /** Sends one message with its text and HTML parts; the message id names the outbox row. */
  async send(to: string, messageId: string, content: { subject: string; text: string; html: string }): Promise<SendResult> {
    try {
      await this.transport.sendMail({
        from: this.from,
        to,
        subject: content.subject,
        text: content.text,
        html: content.html,
        headers: { 'X-Gpuaas-Message-Id': messageId },
      });
      return { ok: true, status: 250 };
    } catch (error) {
      return { ok: false, error: (error as Error).message };
    }
  }

  close(): void {
    this.transport.close();
  }
}
