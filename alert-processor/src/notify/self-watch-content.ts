import type { AlertContent } from './alert-content';
import { formatDuration, plural } from './alert-content';
import type { AuditAlert, CollectorAlert, LoginAlert } from '../rules/rules';

/**
 * What the self-watches' alerts say (collector exports, the audit trail, refused sign-ins), in the shape of
 * alert-content.ts. Values from telemetry go through `fromTelemetry`, the receiver's way to make them inert.
 */

const ITEM_NAMES: Record<string, [string, string]> = {
  spans: ['span', 'spans'],
  log_records: ['log record', 'log records'],
  metric_points: ['metric point', 'metric points'],
  items: ['item', 'items'],
};

function items(counts: Record<string, number>): string {
  const parts = Object.entries(counts).map(([kind, n]) => {
    const [one, many] = (Object.hasOwn(ITEM_NAMES, kind) && ITEM_NAMES[kind]) || ['item', 'items'];
    return plural(n, one, many);
  });
  return parts.length > 0 ? parts.join(', ') : 'none';
}

/** The exporter whose failures this processor learns of only once they are over. */
const OWN_EXPORTER = /alert-processor/;

export function describeCollectorAlert(alert: CollectorAlert, fromTelemetry: (value: string) => string): AlertContent {
  const service = fromTelemetry(alert.service);
  const exporter = fromTelemetry(alert.exporter);
  const since = new Date(alert.sinceMs).toISOString();
  const own = OWN_EXPORTER.test(alert.exporter)
    ? ' This is the path of the alerts themselves: alerts in that data were lost, and this one could only be sent once the path worked again.'
    : '';
  const fields: [string, string][] = [
    ['Service', service],
    ['Exporter', exporter],
    ['Problem since', since],
  ];
  switch (alert.type) {
    case 'collector_export_failed':
      return {
        title: `${service}: exporter ${exporter} fails to send`,
        summary: `The collector could not send to ${exporter} (retries exhausted, the data is lost): ${items(alert.failed)} since ${since}.${own}`,
        fields: [...fields, ['Failed to send', items(alert.failed)]],
      };
    case 'collector_queue_full':
      return {
        title: `${service}: exporter ${exporter} queue full, data dropped`,
        summary: `The sending queue of ${exporter} is full and refuses data (lost): ${items(alert.dropped)} since ${since}.${own}`,
        fields: [...fields, ['Dropped', items(alert.dropped)]],
      };
    case 'collector_export_recovered':
      return {
        title: `${service}: exporter ${exporter} sends again`,
        summary: `${exporter} has sent data again without failures for a while, after ${formatDuration(alert.atMs - alert.sinceMs)}: ${items(alert.failed)} failed to send and ${items(alert.dropped)} dropped in all.`,
        fields: [...fields, ['Failed to send', items(alert.failed)], ['Dropped', items(alert.dropped)]],
      };
  }
}

export function describeAuditAlert(alert: AuditAlert, fromTelemetry: (value: string) => string): AlertContent {
  const service = fromTelemetry(alert.service);
  const last = alert.lastCheckpointMs === null ? 'none seen' : new Date(alert.lastCheckpointMs).toISOString();
  switch (alert.type) {
    case 'audit_chain_broken': {
      const how = alert.foundBy === 'verify_failed' ? 'A verification of the audit chain' : 'The audit checkpointer';
      const entry = alert.entryId === undefined ? '' : ` at entry ${alert.entryId}`;
      const problem = alert.problem ? ` (${fromTelemetry(alert.problem)})` : '';
      return {
        title: `${service}: audit chain broken`,
        summary: `${how} found an entry the app did not write or one changed since${entry}${problem}: the trail can no longer be trusted from there, and no checkpoint is signed any more.`,
        fields: [
          ['Service', service],
          [
            'Found by',
            alert.foundBy === 'verify_failed' ? 'verification (audit.verify_failed)' : 'checkpointer (audit.checkpoint_refused)',
          ],
          ...(alert.entryId === undefined ? [] : ([['First broken entry', String(alert.entryId)]] as [string, string][])),
          ...(alert.problem ? ([['Problem', fromTelemetry(alert.problem)]] as [string, string][]) : []),
        ],
      };
    }
    case 'audit_checkpoint_stale': {
      const since = Math.max(alert.lastCheckpointMs ?? alert.watchedSinceMs, alert.watchedSinceMs);
      const interval = alert.intervalMs === null ? 'its interval' : formatDuration(alert.intervalMs);
      return {
        title: `${service}: no signed audit checkpoint`,
        summary: `No signed checkpoint of the audit chain (nor word that the newest one covers it) for ${formatDuration(alert.atMs - since)}; one is due every ${interval} (alert after ${formatDuration(alert.graceMs)} of grace).`,
        fields: [
          ['Service', service],
          ['Last checkpoint', last],
          ...(alert.treeSize === undefined ? [] : ([['Entries covered then', String(alert.treeSize)]] as [string, string][])),
        ],
      };
    }
    case 'audit_checkpoint_recovered':
      return {
        title: `${service}: audit checkpoints again`,
        summary: `The audit chain is checkpointed again${alert.treeSize === undefined ? '' : ` (${plural(alert.treeSize, 'entry', 'entries')} covered)`}.`,
        fields: [
          ['Service', service],
          ['Checkpoint at', last],
        ],
      };
  }
}

const REASONS: Record<string, string> = {
  wrong_password: 'wrong password',
  unknown_email: 'unknown email',
  rate_limited: 'refused by the rate limit',
};

function spray(alert: LoginAlert): string {
  const known = alert.failures - alert.unknownAccountFailures;
  const parts = [
    ...(known > 0 ? [`${known} on ${plural(alert.spread, 'account', 'accounts')}`] : []),
    ...(alert.unknownAccountFailures > 0 ? [`${alert.unknownAccountFailures} on emails that belong to no account`] : []),
  ];
  return parts.join(', ');
}

export function describeLoginAlert(alert: LoginAlert, fromTelemetry: (value: string) => string): AlertContent {
  const service = fromTelemetry(alert.service);
  const subject = fromTelemetry(alert.subject);
  const window = formatDuration(alert.windowMs);
  const reasons = Object.entries(alert.reasons)
    .map(([reason, n]) => `${n} ${Object.hasOwn(REASONS, reason) ? REASONS[reason] : fromTelemetry(reason)}`)
    .join(', ');
  const perAccount = alert.scope === 'account';
  return {
    title: perAccount ? `${service}: failed sign-ins on account ${subject}` : `${service}: failed sign-ins from ${subject}`,
    summary: perAccount
      ? `${alert.failures} refused sign-ins on account ${subject} in the last ${window}, from ${plural(alert.spread, 'network', 'networks')} (alert above ${alert.threshold}): someone may be guessing its password.`
      : `${alert.failures} refused sign-ins from network ${subject} in the last ${window} (alert above ${alert.threshold}): ${spray(alert)}; password spraying or credential stuffing.`,
    fields: [
      ['Service', service],
      [perAccount ? 'Account (user id)' : 'Client network', subject],
      ['Failures', `${alert.failures} in ${window} (threshold ${alert.threshold})`],
      ['Reasons', reasons],
      ...(alert.maskedEmails.length > 0
        ? ([['Unknown emails tried', alert.maskedEmails.map(fromTelemetry).join(', ')]] as [string, string][])
        : []),
    ],
  };
}
