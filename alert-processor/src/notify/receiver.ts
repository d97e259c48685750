import type { Alert } from '../rules/rules';
import type { ReceiverName } from './routes';

/**
 * What every receiver (notify/slack.ts, notify/email.ts) answers when handed alerts, as Alertmanager's notifiers
 * answer "failed, worth retrying?": the senders (notify/alerter.ts, cluster/shared-sender.ts) decide from this
 * alone whether an outbox entry leaves (delivered, give_up) or stays to be tried again later (retry).
 * - delivered: the receiver took it (`skipped`: nothing is configured to take it; nothing was sent).
 * - retry: a failure that may pass (a 5xx, a 4xx SMTP reply, a network error or timeout, a long rate limit).
 * - give_up: the receiver will never take it (Slack's 4xx, an SMTP 5xx): trying again cannot help.
 */
export type Delivery =
  | { status: 'delivered'; attempts: number; skipped: boolean }
  | { status: 'retry'; attempts: number; reason: string }
  | { status: 'give_up'; attempts: number; reason: string };

export interface Receiver {
  readonly name: ReceiverName;
  /** How log lines name it ("alert sent to Slack"). */
  readonly label: string;
  /** Sends the alerts (one type, oldest first) as one message; `headline` is that message's first line. */
  notify(alerts: readonly Alert[]): Promise<{ delivery: Delivery; headline: string }>;
}
