import type { Logger } from '@otel';
import type { Alert } from '../rules/rules';
import type { Delivery, Receiver } from './receiver';
import { buildGroupMessage, buildSlackMessage, type AlertLinks, type SlackMessage } from './slack-message';
import { TokenBucket } from './token-bucket';

/**
 * The Slack receiver: posts messages to a Slack incoming webhook (one alert as its message, several of one type as
 * one grouped message).
 * - 2xx: delivered.
 * - 429: waits for `Retry-After` (seconds; 1 s when absent or unreadable), then sends once more. A wait longer
 *   than `maxRetryAfterMs` is not taken: the message fails.
 * - 5xx, timeouts and network errors: retried with exponential backoff (±20 % jitter), `maxAttempts` in all.
 * - Any other status (400 invalid_payload, 403, 404 no_service, …): gives up at once, retrying cannot help.
 * - At most `messagesPerSecond` posts a second (a token bucket; a 429's Retry-After holds back every post).
 * - No webhook configured: nothing is sent; the message is logged at debug level and counts as delivered.
 * The webhook URL is a secret (its path is the credential): it is never logged.
 */

export interface SlackClientOptions {
  webhookUrl: string | undefined;
  logger: Logger;
  maxAttempts?: number;
  timeoutMs?: number;
  maxRetryAfterMs?: number;
  /** First backoff after a 5xx or network error; doubles per attempt up to 8× (default 500 ms). */
  baseBackoffMs?: number;
  sleep?: (ms: number) => Promise<void>;
  /** Messages per second to this webhook (Slack: 1; default 1). Every attempt takes a token. */
  messagesPerSecond?: number;
  /** The links the messages carry (Sentry, trace viewer, runbooks). */
  links?: AlertLinks;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Retry-After in seconds (Slack's form) or an HTTP date; undefined when unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

export class SlackClient implements Receiver {
  readonly name = 'slack';
  readonly label = 'Slack';
  private readonly links: AlertLinks;
  private readonly webhookUrl: string | undefined;
  private readonly logger: Logger;
  private readonly maxAttempts: number;
  private readonly timeoutMs: number;
  private readonly maxRetryAfterMs: number;
  private readonly baseBackoffMs: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly bucket: TokenBucket;

  constructor(options: SlackClientOptions) {
    this.webhookUrl = options.webhookUrl;
    this.logger = options.logger;
    this.maxAttempts = options.maxAttempts ?? 4;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.maxRetryAfterMs = options.maxRetryAfterMs ?? 60_000;
    this.baseBackoffMs = options.baseBackoffMs ?? 500;
    this.sleep = options.sleep ?? defaultSleep;
    this.bucket = new TokenBucket(options.messagesPerSecond ?? 1, 1, Date.now, this.sleep);
    this.links = options.links ?? {};
  }

  async notify(alerts: readonly Alert[]): Promise<{ delivery: Delivery; headline: string }> {
    const message = alerts.length === 1 ? buildSlackMessage(alerts[0]!, this.links) : buildGroupMessage(alerts, this.links);
    return { delivery: await this.send(message), headline: message.text.split('\n')[0] ?? '' };
  }

  get configured(): boolean {
    return this.webhookUrl !== undefined;
  }

  async send(message: SlackMessage): Promise<Delivery> {
    if (!this.webhookUrl) {
      this.logger.debug({ slack: message }, 'SLACK_WEBHOOK_URL is not set: this alert is not sent anywhere');
      return { status: 'delivered', attempts: 0, skipped: true };
    }
    const body = JSON.stringify(message);
    let attempts = 0;
    let failures = 0;
    let waitedForRateLimit = false;
    for (;;) {
      attempts += 1;
      await this.bucket.take();
      let outcome: { status: number; retryAfter: string | null; text: string } | { error: string };
      try {
        const response = await fetch(this.webhookUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json; charset=utf-8' },
          body,
          signal: AbortSignal.timeout(this.timeoutMs),
        });
        const text = (await response.text()).slice(0, 200);
        outcome = { status: response.status, retryAfter: response.headers.get('retry-after'), text };
      } catch (error) {
        outcome = { error: describe(error) };
      }

      if ('status' in outcome && outcome.status >= 200 && outcome.status < 300) return { status: 'delivered', attempts, skipped: false };

      if ('status' in outcome && outcome.status === 429) {
        const wait = retryAfterMs(outcome.retryAfter) ?? 1000;
        this.bucket.pushBack(wait);
        if (waitedForRateLimit) return { status: 'retry', attempts, reason: 'Slack answered 429 again after the Retry-After wait' };
        if (wait > this.maxRetryAfterMs) {
          return {
            status: 'retry',
            attempts,
            reason: `Slack answered 429 with Retry-After ${Math.round(wait / 1000)} s, longer than allowed`,
          };
        }
        waitedForRateLimit = true;
        this.logger.warn({ retry_after_ms: wait }, 'Slack rate-limited the webhook (429): sending once more after Retry-After');
        continue;
      }

      const reason = 'status' in outcome ? `Slack answered ${outcome.status}${outcome.text ? ` ${outcome.text}` : ''}` : outcome.error;
      const retryable = !('status' in outcome) || outcome.status >= 500;
      if (!retryable) return { status: 'give_up', attempts, reason };
      failures += 1;
      if (failures >= this.maxAttempts) return { status: 'retry', attempts, reason: `${reason} (after ${failures} attempts)` };
      const backoff = Math.min(this.baseBackoffMs * 2 ** (failures - 1), this.baseBackoffMs * 8) * (0.8 + Math.random() * 0.4);
      this.logger.warn({ attempt: attempts, retry_in_ms: Math.round(backoff), reason }, 'Slack webhook failed: retrying');
      await this.sleep(backoff);
    }
  }
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error.name === 'TimeoutError') return 'Slack did not answer in time';
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  // undici's "fetch failed" says little; its cause has the code (ECONNREFUSED, ENOTFOUND, …).
  return cause?.code ? `${error.message} (${cause.code})` : error.message;
}
