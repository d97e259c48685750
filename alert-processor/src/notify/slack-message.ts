import { traceUrl, redact } from '@otel';
import { SEVERITY_OF, type Alert, type Severity } from '../rules/rules';
import { fromTelemetry } from './slack-text';
import { describeAlert, formatDuration, plural } from './alert-content';
import { runbookUrl } from './runbook';

export { formatDuration };

/**
 * An alert as a Slack message: Block Kit blocks plus `text`, the plain-text fallback Slack shows in
 * notifications and where blocks cannot be rendered. Every message carries the severity with its emoji, what
 * happened, the time (ISO 8601, UTC), counts for error spikes, a link to the project's Sentry issues and, for a
 * spike, a link to the trace of one failing request. Every value that comes from telemetry (service, version,
 * environment, the example failure) goes through `fromTelemetry` (slack-text.ts: redacted, escaped, no links), so
 * the only links are the ones built here from the operator's configuration; the finished payload passes through
 * the shared redaction once more.
 */

export interface SlackMessage {
  text: string;
  blocks: Record<string, unknown>[];
}

export interface AlertLinks {
  sentryIssuesUrl?: string;
  /** `{traceId}` is replaced, e.g. http://localhost:16686/trace/{traceId} */
  traceUrlTemplate?: string;
  /** Where docs/RUNBOOKS.md is served (ALERT_RUNBOOK_URL): each alert links its type's section. */
  runbookUrl?: string;
}

export const EMOJI: Record<Severity, string> = {
  info: 'ℹ️',
  warning: '⚠️',
  critical: '🚨',
  resolved: '✅',
};

const HEADER_MAX = 150;
const SECTION_MAX = 3000;

function clip(value: string, max: number): string {
  return value.length > max ? `${value.slice(0, max - 1)}…` : value;
}

export function buildSlackMessage(alert: Alert, links: AlertLinks): SlackMessage {
  const severity = SEVERITY_OF[alert.type];
  const emoji = EMOJI[severity];
  const label = severity.toUpperCase();
  const time = new Date(alert.atMs).toISOString();
  const { title, summary, fields, traceId } = describeAlert(alert, fromTelemetry);
  const trace = traceId ? traceUrl(links.traceUrlTemplate, traceId) : undefined;

  const textLines = [`${emoji} ${label}: ${title} — ${summary}`, `Time: ${time}`];
  for (const [name, value] of fields) if (name !== 'Service') textLines.push(`${name}: ${value}`);
  if (links.sentryIssuesUrl) textLines.push(`Sentry: ${links.sentryIssuesUrl}`);
  if (trace) textLines.push(`Trace ${traceId}: ${trace}`);
  const runbook = runbookUrl(links.runbookUrl, alert.type);
  if (runbook) textLines.push(`Runbook: ${runbook}`);

  const buttons: Record<string, unknown>[] = [];
  if (links.sentryIssuesUrl) {
    buttons.push({ type: 'button', action_id: 'sentry', text: { type: 'plain_text', text: 'Sentry issues' }, url: links.sentryIssuesUrl });
  }
  if (trace) buttons.push({ type: 'button', action_id: 'trace', text: { type: 'plain_text', text: 'Failing request trace' }, url: trace });
  if (runbook) buttons.push({ type: 'button', action_id: 'runbook', text: { type: 'plain_text', text: 'Runbook' }, url: runbook });

  const blocks: Record<string, unknown>[] = [
    { type: 'header', text: { type: 'plain_text', text: clip(`${emoji} ${label}: ${title}`, HEADER_MAX), emoji: true } },
    { type: 'section', text: { type: 'mrkdwn', text: clip(summary, SECTION_MAX) } },
    {
      type: 'section',
      fields: ([['Time (UTC)', time], ...fields] as [string, string][]).slice(0, 10).map(([name, value]) => ({
        type: 'mrkdwn',
        text: clip(`*${name}*\n${value}`, 2000),
      })),
    },
  ];
  if (trace) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `Trace of one failing request: <${trace}|${traceId}>` }] });
  if (buttons.length > 0) blocks.push({ type: 'actions', elements: buttons });

  return redact({ text: clip(textLines.join('\n'), 3000), blocks });
}

/** What a group of alerts of one type is called in its header. */
const KIND_TITLE: Record<Alert['type'], string> = {
  'app.started': 'started',
  'app.stopping': 'stopping',
  error_spike: 'error spike',
  error_spike_resolved: 'error spike over',
  heartbeat_missing: 'no telemetry',
  heartbeat_resumed: 'telemetry is back',
  backup_failed: 'backup failed',
  backup_stale: 'no recent backup',
  backup_recovered: 'backup succeeded again',
  delivery_failed: 'alert delivery failing',
  delivery_recovered: 'alert delivery works again',
  collector_export_failed: 'collector exporter failing',
  collector_queue_full: 'collector queue full',
  collector_export_recovered: 'collector exporter sends again',
  audit_chain_broken: 'audit chain broken',
  audit_checkpoint_stale: 'no signed audit checkpoint',
  audit_checkpoint_recovered: 'audit checkpoints again',
  login_failure_spike: 'failed sign-ins',
};

/** Slack takes at most 50 blocks: a header, a summary, one section per alert and the buttons. */
export const MAX_GROUP = 20;

/**
 * Alerts of one type gathered in one group window (ALERT_GROUP_SECONDS) as one message: the count and the
 * services in the header line, then each alert's own title, time, summary and trace link. One alert alone is
 * the ordinary message.
 */
export function buildGroupMessage(alerts: readonly Alert[], links: AlertLinks): SlackMessage {
  const [first] = alerts;
  if (!first) throw new Error('buildGroupMessage: no alerts');
  if (alerts.length === 1) return buildSlackMessage(first, links);
  const severity = SEVERITY_OF[first.type];
  const emoji = EMOJI[severity];
  const label = severity.toUpperCase();
  const services = [...new Set(alerts.map((alert) => fromTelemetry(alert.service)))];
  const heading = `${emoji} ${label}: ${KIND_TITLE[first.type]} × ${alerts.length}`;
  const serviceList = services.join(', ');

  const textLines = [`${heading} — ${serviceList}`];
  const sections: Record<string, unknown>[] = [];
  for (const alert of alerts.slice(0, MAX_GROUP)) {
    const { title, summary, traceId } = describeAlert(alert, fromTelemetry);
    const time = new Date(alert.atMs).toISOString();
    const trace = traceId ? traceUrl(links.traceUrlTemplate, traceId) : undefined;
    textLines.push(`• ${title} (${time}) — ${summary}${trace ? ` Trace: ${trace}` : ''}`);
    sections.push({
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: clip(`*${title}* · ${time}\n${summary}${trace ? `\nTrace of one failing request: <${trace}|${traceId}>` : ''}`, SECTION_MAX),
      },
    });
  }
  if (alerts.length > MAX_GROUP) textLines.push(`… and ${alerts.length - MAX_GROUP} more`);
  if (links.sentryIssuesUrl) textLines.push(`Sentry: ${links.sentryIssuesUrl}`);
  const runbook = runbookUrl(links.runbookUrl, first.type);
  if (runbook) textLines.push(`Runbook: ${runbook}`);

  const blocks: Record<string, unknown>[] = [
    { type: 'header', text: { type: 'plain_text', text: clip(heading, HEADER_MAX), emoji: true } },
    {
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: clip(`${plural(alerts.length, 'alert', 'alerts')} of one kind, grouped: ${serviceList}.`, SECTION_MAX),
      },
    },
    ...sections,
  ];
  const buttons: Record<string, unknown>[] = [];
  if (links.sentryIssuesUrl)
    buttons.push({ type: 'button', action_id: 'sentry', text: { type: 'plain_text', text: 'Sentry issues' }, url: links.sentryIssuesUrl });
  if (runbook) buttons.push({ type: 'button', action_id: 'runbook', text: { type: 'plain_text', text: 'Runbook' }, url: runbook });
  if (buttons.length > 0) blocks.push({ type: 'actions', elements: buttons });
  return redact({ text: clip(textLines.join('\n'), 3000), blocks });
}
