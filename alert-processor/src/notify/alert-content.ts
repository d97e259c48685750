import type { Alert } from '../rules/rules';
import { describeAuditAlert, describeCollectorAlert, describeLoginAlert } from './self-watch-content';

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

export const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

export interface AlertContent {
  title: string;
  summary: string;
  fields: [string, string][];
  traceId?: string;
}

/**
 * What an alert says, for every receiver: a title, a one-line summary, named fields and the trace of one failing
 * request. Each value that comes from telemetry passes through `telemetryText`, the receiver's way to make it
 * inert (slack-text.ts for Slack, email-message.ts for email); the rest is the processor's own text.
 */
export function describeAlert(alert: Alert, telemetryText: (value: string) => string): AlertContent {
  const fromTelemetry = telemetryText;
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
    case 'backup_failed':
      return {
        title: `${service}: backup failed`,
        summary: `The backup failed${alert.errorType ? ` (${fromTelemetry(alert.errorType)})` : ''}${alert.attempt ? `, attempt ${alert.attempt}` : ''}${alert.nextAttemptMs ? `; the scheduler tries again in ${formatDuration(alert.nextAttemptMs)}` : ''}.`,
        fields: [
          ['Service', service],
          ...(alert.errorType ? ([['Error type', fromTelemetry(alert.errorType)]] as [string, string][]) : []),
          ['Last successful backup', alert.lastSuccessMs === null ? 'none seen' : new Date(alert.lastSuccessMs).toISOString()],
        ],
      };
    case 'backup_stale': {
      const since = alert.lastSuccessMs ?? alert.watchedSinceMs;
      const interval = alert.intervalMs === null ? 'its interval' : formatDuration(alert.intervalMs);
      return {
        title: `${service}: no recent backup`,
        summary: `${alert.lastSuccessMs === null ? 'No successful backup seen' : 'The last successful backup was'} ${formatDuration(alert.atMs - since)} ago; one is due every ${interval} (alert after ${formatDuration(alert.graceMs)} of grace).`,
        fields: [
          ['Service', service],
          ['Last successful backup', alert.lastSuccessMs === null ? 'none seen' : new Date(alert.lastSuccessMs).toISOString()],
          ['Failures since', String(alert.failures)],
        ],
      };
    }
    case 'backup_recovered':
      return {
        title: `${service}: backup succeeded again`,
        summary: `A backup succeeded${alert.failures > 0 ? ` after ${plural(alert.failures, 'failure', 'failures')}` : ''}.`,
        fields: [
          ['Service', service],
          ['Backup at', new Date(alert.lastSuccessMs ?? alert.atMs).toISOString()],
        ],
      };
    case 'delivery_failed': {
      const to = alert.receiver === 'email' ? 'email' : 'Slack';
      return {
        title: `${service}: alerts cannot reach ${to}`,
        summary: `Alerts have not been delivered to ${to} since ${new Date(alert.sinceMs).toISOString()} (${plural(alert.waiting, 'alert', 'alerts')} waiting in the outbox, retried): ${fromTelemetry(alert.reason)}`,
        fields: [
          ['Service', service],
          ['Receiver', to],
          ['Failing since', new Date(alert.sinceMs).toISOString()],
        ],
      };
    }
    case 'delivery_recovered': {
      const to = alert.receiver === 'email' ? 'email' : 'Slack';
      return {
        title: `${service}: alerts reach ${to} again`,
        summary: `Delivery to ${to} works again after ${formatDuration(alert.atMs - alert.sinceMs)}; what waited in the outbox is being sent.`,
        fields: [
          ['Service', service],
          ['Receiver', to],
        ],
      };
    }
    case 'collector_export_failed':
    case 'collector_queue_full':
    case 'collector_export_recovered':
      return describeCollectorAlert(alert, fromTelemetry);
    case 'audit_chain_broken':
    case 'audit_checkpoint_stale':
    case 'audit_checkpoint_recovered':
      return describeAuditAlert(alert, fromTelemetry);
    case 'login_failure_spike':
      return describeLoginAlert(alert, fromTelemetry);
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
