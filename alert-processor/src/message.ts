import { traceUrl, redact } from '@otel';
import { SEVERITY_OF, type Alert, type Severity } from './rules';
import { fromTelemetry } from './slack-text';

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

/** 95 s → "1m 35s". */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return s > 0 ? `${m}m ${s}s` : `${m}m`;
  return `${s}s`;
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

interface Content {
  title: string;
  summary: string;
  fields: [string, string][];
  traceId?: string;
}

/** What an alert says; every value from telemetry in it is already safe for Slack (fromTelemetry). */
function content(alert: Alert): Content {
  const service = fromTelemetry(alert.service);
  switch (alert.type) {
    case 'app.started':
    case 'app.stopping': {
      const { timeMs } = alert.event;
      const version = alert.event.version && fromTelemetry(alert.event.version);
      const environment = alert.event.environment && fromTelemetry(alert.event.environment);
      const started = alert.type === 'app.started';
      const where = [version && `version ${version}`, environment && `environment ${environment}`].filter(Boolean).join(', ');
      return {
        title: started ? `${service} started` : `${service} is stopping`,
        summary: started
          ? `${service} started${where ? ` (${where})` : ''}.`
          : `${service} received a stop signal and is shutting down gracefully${where ? ` (${where})` : ''}.`,
        fields: [
          ['Service', service],
          ['Event', `${alert.type} at ${new Date(timeMs).toISOString()}`],
          ...(version ? ([['Version', version]] as [string, string][]) : []),
          ...(environment ? ([['Environment', environment]] as [string, string][]) : []),
        ],
      };
    }
    case 'error_spike': {
      const window = formatDuration(alert.windowMs);
      return {
        title: `${service}: error spike`,
        summary: `${plural(alert.inWindow, 'failing request', 'failing requests')} in the last ${window} (alert above ${alert.threshold}).`,
        fields: [
          ['Service', service],
          ['Failing requests', `${alert.inWindow} in ${window} (threshold ${alert.threshold})`],
          ['Spike since', new Date(alert.spike.openedAtMs).toISOString()],
          ...(alert.spike.sampleDescription ? ([['Example', fromTelemetry(alert.spike.sampleDescription)]] as [string, string][]) : []),
        ],
        traceId: alert.spike.sampleTraceId,
      };
    }
    case 'heartbeat_missing':
      return {
        title: `${service}: no telemetry`,
        summary: `Nothing from ${service} has arrived for ${formatDuration(alert.silentForMs)} (alert after ${formatDuration(alert.timeoutMs)}): the app, or its path to the collector, may be down.`,
        fields: [
          ['Service', service],
          ['Last seen', new Date(alert.atMs - alert.silentForMs).toISOString()],
        ],
      };
    case 'heartbeat_resumed':
      return {
        title: `${service}: telemetry is back`,
        summary: `${service} is sending telemetry again after ${formatDuration(alert.silentForMs)} of silence.`,
        fields: [
          ['Service', service],
          ['Silent for', formatDuration(alert.silentForMs)],
        ],
      };
    case 'error_spike_resolved': {
      const window = formatDuration(alert.windowMs);
      const lasted = formatDuration((alert.spike.resolvedAtMs ?? alert.atMs) - alert.spike.openedAtMs);
      return {
        title: `${service}: error spike over`,
        summary: `At most ${alert.threshold} failing requests per ${window} for a full window. The spike lasted ${lasted}.`,
        fields: [
          ['Service', service],
          ['Failing requests', `${alert.spike.failingRequests} during the spike (peak ${alert.spike.peakInWindow} in ${window})`],
          [
            'Spike',
            `${new Date(alert.spike.openedAtMs).toISOString()} – ${new Date(alert.spike.resolvedAtMs ?? alert.atMs).toISOString()}`,
          ],
        ],
        traceId: alert.spike.sampleTraceId,
      };
    }
  }
}

export function buildSlackMessage(alert: Alert, links: AlertLinks): SlackMessage {
  const severity = SEVERITY_OF[alert.type];
  const emoji = EMOJI[severity];
  const label = severity.toUpperCase();
  const time = new Date(alert.atMs).toISOString();
  const { title, summary, fields, traceId } = content(alert);
  const trace = traceId ? traceUrl(links.traceUrlTemplate, traceId) : undefined;

  const textLines = [`${emoji} ${label}: ${title} — ${summary}`, `Time: ${time}`];
  for (const [name, value] of fields) if (name !== 'Service') textLines.push(`${name}: ${value}`);
  if (links.sentryIssuesUrl) textLines.push(`Sentry: ${links.sentryIssuesUrl}`);
  if (trace) textLines.push(`Trace ${traceId}: ${trace}`);

  const buttons: Record<string, unknown>[] = [];
  if (links.sentryIssuesUrl) {
    buttons.push({ type: 'button', action_id: 'sentry', text: { type: 'plain_text', text: 'Sentry issues' }, url: links.sentryIssuesUrl });
  }
  if (trace) buttons.push({ type: 'button', action_id: 'trace', text: { type: 'plain_text', text: 'Failing request trace' }, url: trace });

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
    const { title, summary, traceId } = content(alert);
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
  if (links.sentryIssuesUrl) {
    blocks.push({
      type: 'actions',
      elements: [{ type: 'button', action_id: 'sentry', text: { type: 'plain_text', text: 'Sentry issues' }, url: links.sentryIssuesUrl }],
    });
  }
  return redact({ text: clip(textLines.join('\n'), 3000), blocks });
}
