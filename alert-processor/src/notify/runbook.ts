import type { AlertType } from '../rules/rules';

/**
 * The runbook of each alert type: a section of docs/RUNBOOKS.md, whose heading is the type with `.` and `_` as
 * `-` (`error_spike` → `#error-spike`). ALERT_RUNBOOK_URL says where the operator serves that page (their
 * repository's view of it, a wiki copy); without it messages carry no runbook link.
 */
export const runbookAnchor = (type: AlertType): string => type.replace(/[._]/g, '-');

export function runbookUrl(base: string | undefined, type: AlertType): string | undefined {
  if (!base) return undefined;
  return `${base.split('#')[0]}#${runbookAnchor(type)}`;
}
