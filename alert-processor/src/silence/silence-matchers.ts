import { ATTR_DEPLOYMENT_ENVIRONMENT_NAME, ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import { SEVERITY_OF, type Alert } from '../rules/rules';

/**
 * What silences and mute windows match on: an alert's labels, named like the OpenTelemetry attributes they come
 * from. A matcher holds when the label is present and equal to the value (exact, case-sensitive); a silence or a
 * mute window with several matchers mutes an alert only when all of them hold.
 */

export interface Matcher {
  name: string;
  value: string;
}

export const ALERT_TYPE_LABEL = 'alert.type';
export const SEVERITY_LABEL = 'alert.severity';

/** The labels there are; a matcher naming another one never holds (so the API refuses it). */
export const LABELS = [
  ALERT_TYPE_LABEL,
  SEVERITY_LABEL,
  ATTR_SERVICE_NAME,
  ATTR_SERVICE_VERSION,
  ATTR_DEPLOYMENT_ENVIRONMENT_NAME,
] as const;

export function labelsOf(alert: Alert): Record<string, string> {
  const labels: Record<string, string> = {
    [ALERT_TYPE_LABEL]: alert.type,
    [SEVERITY_LABEL]: SEVERITY_OF[alert.type],
    [ATTR_SERVICE_NAME]: alert.service,
  };
  if (alert.type === 'app.started' || alert.type === 'app.stopping') {
    if (alert.event.version) labels[ATTR_SERVICE_VERSION] = alert.event.version;
    if (alert.event.environment) labels[ATTR_DEPLOYMENT_ENVIRONMENT_NAME] = alert.event.environment;
  }
  return labels;
}

export function matches(matchers: readonly Matcher[], alert: Alert): boolean {
  if (matchers.length === 0) return true;
  const labels = labelsOf(alert);
  return matchers.every((matcher) => labels[matcher.name] === matcher.value);
}

/** A resolution is sent exactly when the alert it resolves was: silences and mute windows never hold it back. */
export function isResolution(alert: Alert): boolean {
  return alert.type === 'error_spike_resolved' || alert.type === 'heartbeat_resumed';
}
