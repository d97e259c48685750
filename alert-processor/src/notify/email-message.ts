import { redactString, traceUrl } from '@otel';
import { describeAlert, plural } from './alert-content';
import type { AlertLinks } from './slack-message';
import { EMOJI } from './slack-message';
import { runbookUrl } from './runbook';
import { SEVERITY_OF, type Alert } from '../rules/rules';
import { defang } from './slack-text';

/**
 * An alert (or a group of one type) as an email: a subject, a plain-text body and an HTML body with the same
 * content as the Slack message — severity, what happened, the time, the fields, and the Sentry, trace and runbook
 * links. Values from telemetry are redacted with the shared policy and defanged (mail clients link bare URLs too);
 * the HTML body escapes every character HTML gives a meaning to, so telemetry is text there as well, and its only
 * links are the configured ones. The subject is one line: no header can be injected through it.
 */
export interface EmailMessage {
  subject: string;
  text: string;
  html: string;
}

const telemetryText = (value: string) => defang(redactString(value));

export function escapeHtml(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

const oneLine = (value: string, max = 200) => {
  const line = value.replace(/[\r\n\t\u2028\u2029]+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
};

interface Section {
  title: string;
  time: string;
  summary: string;
  fields: [string, string][];
  trace?: { id: string; url: string };
}

function section(alert: Alert, links: AlertLinks): Section {
  const { title, summary, fields, traceId } = describeAlert(alert, telemetryText);
  const url = traceId ? traceUrl(links.traceUrlTemplate, traceId) : undefined;
  return { title, summary, fields, time: new Date(alert.atMs).toISOString(), trace: url && traceId ? { id: traceId, url } : undefined };
}

export function buildEmail(alerts: readonly Alert[], links: AlertLinks): EmailMessage {
  const [first] = alerts;
  if (!first) throw new Error('buildEmail: no alerts');
  const severity = SEVERITY_OF[first.type];
  const label = severity.toUpperCase();
  const sections = alerts.map((alert) => section(alert, links));
  const services = [...new Set(alerts.map((alert) => telemetryText(alert.service)))];
  const heading =
    alerts.length === 1 ? sections[0]!.title : `${plural(alerts.length, 'alert', 'alerts')} (${first.type}): ${services.join(', ')}`;
  const subject = oneLine(`${EMOJI[severity]} [${label}] ${heading}`);
  const runbook = runbookUrl(links.runbookUrl, first.type);
  const footer: [string, string][] = [
    ...(links.sentryIssuesUrl ? ([['Sentry issues', links.sentryIssuesUrl]] as [string, string][]) : []),
    ...(runbook ? ([['Runbook', runbook]] as [string, string][]) : []),
  ];

  const text: string[] = [`${label}: ${heading}`, ''];
  for (const s of sections) {
    text.push(`${s.title} — ${s.summary}`, `Time: ${s.time}`);
    for (const [name, value] of s.fields) text.push(`${name}: ${value}`);
    if (s.trace) text.push(`Trace ${s.trace.id}: ${s.trace.url}`);
    text.push('');
  }
  for (const [name, url] of footer) text.push(`${name}: ${url}`);

  const link = (url: string, label: string) => `<a href="${escapeHtml(url)}">${escapeHtml(label)}</a>`;
  const html: string[] = [
    '<!doctype html><html><body style="font-family:sans-serif">',
    `<h2>${escapeHtml(`${EMOJI[severity]} ${label}: ${heading}`)}</h2>`,
  ];
  for (const s of sections) {
    html.push(`<h3>${escapeHtml(s.title)}</h3>`, `<p>${escapeHtml(s.summary)}</p>`, '<table>');
    for (const [name, value] of [['Time (UTC)', s.time], ...s.fields] as [string, string][]) {
      html.push(`<tr><th align="left">${escapeHtml(name)}</th><td>${escapeHtml(value)}</td></tr>`);
    }
    if (s.trace) html.push(`<tr><th align="left">Trace</th><td>${link(s.trace.url, s.trace.id)}</td></tr>`);
    html.push('</table>');
  }
  if (footer.length > 0) html.push(`<p>${footer.map(([name, url]) => link(url, name)).join(' · ')}</p>`);
  html.push('</body></html>');

  return { subject, text: text.join('\n').trimEnd() + '\n', html: html.join('\n') };
}
