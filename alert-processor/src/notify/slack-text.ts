import { redactString } from '@otel';

/**
 * Text from telemetry (service names, versions, log bodies, span names, error types) made safe for Slack, the
 * same for the fallback `text` and the mrkdwn blocks:
 * - the shared redaction policy first (otel/redact.ts: `?token=…`, JWTs, card numbers, and whatever the policy
 *   masks in free text), before anything else changes the text it matches on;
 * - `&`, `<` and `>` escaped as Slack asks, so nothing becomes markup: no `<!channel>`, `<!here>`, `<@U…>`,
 *   `<https://evil|Open runbook>`;
 * - URLs and host names defanged (`https://evil.test/x` → `https[:]//evil[.]test/x`, `www.evil.com` →
 *   `www[.]evil[.]com`), because Slack turns bare URLs and domains into links by itself: links in a message come
 *   only from the operator's configuration (slack-message.ts), never from telemetry.
 * Text written by the processor itself needs none of this (it holds no `&`, `<` or `>`).
 */

export function escapeSlack(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

// scheme:// (any scheme: http, https, ftp, slack, javascript…), and mailto:/tel: which Slack links too.
const SCHEME = /\b([a-z][a-z0-9+.-]{1,20}):(\/\/)/gi;
const MAILTO = /\b(mailto|tel|sms|javascript|data):/gi;
// A dot between two labels of something that looks like a host name (Slack links `evil.com`, `www.evil.test`):
// label.label where the last label has a letter. Version numbers (1.2.3) and decimals stay as they are.
const HOST_DOT = /([a-z0-9-])\.(?=[a-z0-9-]*[a-z][a-z0-9-]*)/gi;

export function defang(value: string): string {
  return value.replace(SCHEME, '$1[:]$2').replace(MAILTO, '$1[:]').replace(HOST_DOT, '$1[.]');
}

/** A value from telemetry, ready for any Slack text field: redacted, escaped, no links. */
export function fromTelemetry(value: string): string {
  return defang(escapeSlack(redactString(value)));
}
