import fs from 'node:fs';
import nodemailer, { type Transporter } from 'nodemailer';
import type { Logger } from '@otel';
import type { Alert } from '../rules/rules';
import { buildEmail, type EmailMessage } from './email-message';
import type { Delivery, Receiver } from './receiver';
import type { AlertLinks } from './slack-message';

/**
 * The email receiver: sends alert emails over SMTP (nodemailer), the second receiver beside Slack.
 * - Transport security: `starttls` (default; port 587: the connection must upgrade with STARTTLS, or nothing is
 *   sent), `tls` (implicit TLS, port 465), or `none` (local test servers only). The server's certificate is checked
 *   against the system's CAs, or SMTP_CA_FILE for a private CA.
 * - AUTH with SMTP_USER / SMTP_PASSWORD when set (the password is never logged).
 * - One attempt per call; the answer says whether trying again later may help: a 4xx reply or a connection,
 *   TLS handshake or timeout failure may pass (retry); a 5xx reply (bad recipient, authentication refused,
 *   message refused) will not (give_up).
 */
export interface EmailSettings {
  host: string;
  port: number;
  security: 'starttls' | 'tls' | 'none';
  user: string | undefined;
  password: string | undefined;
  caFile: string | undefined;
  from: string;
  to: string[];
  timeoutMs: number;
}

export class EmailClient implements Receiver {
  readonly name = 'email';
  readonly label = 'email';
  private readonly transport: Transporter;

  constructor(
    private readonly settings: EmailSettings,
    private readonly logger: Logger,
    private readonly links: AlertLinks = {},
  ) {
    const ca = settings.caFile ? fs.readFileSync(settings.caFile) : undefined;
    this.transport = nodemailer.createTransport({
      host: settings.host,
      port: settings.port,
      secure: settings.security === 'tls',
      requireTLS: settings.security === 'starttls',
      ignoreTLS: settings.security === 'none',
      auth: settings.user ? { user: settings.user, pass: settings.password ?? '' } : undefined,
      tls: { ...(ca ? { ca } : {}), minVersion: 'TLSv1.2' },
      connectionTimeout: settings.timeoutMs,
      greetingTimeout: settings.timeoutMs,
      socketTimeout: settings.timeoutMs,
    });
  }

  async notify(alerts: readonly Alert[]): Promise<{ delivery: Delivery; headline: string }> {
    const message = buildEmail(alerts, this.links);
    return { delivery: await this.send(message), headline: message.subject };
  }

  async send(message: EmailMessage): Promise<Delivery> {
    try {
      await this.transport.sendMail({
        from: this.settings.from,
        to: this.settings.to,
        subject: message.subject,
        text: message.text,
        html: message.html,
      });
      return { status: 'delivered', attempts: 1, skipped: false };
    } catch (error) {
      const { responseCode, code, message: text } = error as { responseCode?: number; code?: string; message?: string };
      const retryable = responseCode === undefined || responseCode < 500;
      const reason = `SMTP ${responseCode ?? code ?? 'error'}: ${(text ?? String(error)).slice(0, 200)}`;
      this.logger.debug({ reason, retryable }, 'alert email failed');
      return retryable ? { status: 'retry', attempts: 1, reason } : { status: 'give_up', attempts: 1, reason };
    }
  }

  close(): void {
    this.transport.close();
  }
}
