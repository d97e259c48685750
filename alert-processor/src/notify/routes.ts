import { SEVERITY_OF, type Alert } from '../rules/rules';

/**
 * Which receivers get which alerts (ALERT_ROUTES): `receiver=selector,selector;receiver=…`, a selector being a
 * severity (`info`, `warning`, `critical`, `resolved`), an alert type (`error_spike`, `backup_failed`, …) or `*`.
 * An alert goes to every receiver one of whose selectors it matches. Default: `slack=*;email=critical,resolved`
 * — everything to Slack, criticals and their resolutions by email as well.
 */
export const RECEIVERS = ['slack', 'email'] as const;
export type ReceiverName = (typeof RECEIVERS)[number];
export type Routes = Record<ReceiverName, readonly string[]>;

export const DEFAULT_ROUTES = 'slack=*;email=critical,resolved';

export function parseRoutes(raw: string | undefined, warnings: string[] = []): Routes {
  const routes: Record<ReceiverName, string[]> = { slack: [], email: [] };
  const spec = raw?.trim() || DEFAULT_ROUTES;
  for (const entry of spec
    .split(';')
    .map((part) => part.trim())
    .filter(Boolean)) {
    const [name, selectors = ''] = entry.split('=', 2).map((part) => part.trim());
    if (!RECEIVERS.includes(name as ReceiverName)) {
      warnings.push(`ALERT_ROUTES: unknown receiver "${name}" (use slack or email); entry ignored`);
      continue;
    }
    routes[name as ReceiverName].push(
      ...selectors
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    );
  }
  return routes;
}

export function receiversFor(alert: Pick<Alert, 'type'>, routes: Routes, available: readonly ReceiverName[]): ReceiverName[] {
  const severity = SEVERITY_OF[alert.type];
  return available.filter((receiver) =>
    routes[receiver].some((selector) => selector === '*' || selector === severity || selector === alert.type),
  );
}
