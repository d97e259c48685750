// Drop's Grafana dashboards (otel/dashboards/*.json) read as Grafana reads them: every panel's PromQL query, and the
// dashboard variables resolved against a real Prometheus the way Grafana's `label_values()` does, so a test can run
// each query with the variables substituted.
import fs from 'node:fs';
import path from 'node:path';
import type { RunningPrometheus } from './prometheus-process';

export const DASHBOARDS_DIR = path.resolve(import.meta.dirname, '..', '..', 'otel', 'dashboards');

interface Target {
  expr?: string;
  refId: string;
}
interface Panel {
  title: string;
  type: string;
  targets?: Target[];
  panels?: Panel[];
}
interface Variable {
  name: string;
  type: string;
  definition?: string;
  query?: string | { query: string };
  multi?: boolean;
  includeAll?: boolean;
  allValue?: string;
}
export interface Dashboard {
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: Variable[] };
}

export interface PanelQuery {
  dashboard: string;
  panel: string;
  refId: string;
  expr: string;
}

export function readDashboards(): { file: string; dashboard: Dashboard }[] {
  return fs
    .readdirSync(DASHBOARDS_DIR)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => ({ file, dashboard: JSON.parse(fs.readFileSync(path.join(DASHBOARDS_DIR, file), 'utf8')) as Dashboard }));
}

/** Every query of every panel, rows' nested panels included. */
export function panelQueries(dashboard: Dashboard): PanelQuery[] {
  const panels = dashboard.panels.flatMap((panel) => [panel, ...(panel.panels ?? [])]);
  return panels.flatMap((panel) =>
    (panel.targets ?? []).map((target) => ({ dashboard: dashboard.uid, panel: panel.title, refId: target.refId, expr: target.expr ?? '' })),
  );
}

/** Grafana's built-in interval variables, at values fit for a test that has run a minute or two. */
const BUILT_INS: Record<string, string> = { __rate_interval: '1m', __interval: '15s', __range: '5m' };

export function substitute(expr: string, values: Record<string, string>): string {
  return expr.replace(/\$\{?(\w+)\}?/g, (whole, name: string) => values[name] ?? BUILT_INS[name] ?? whole);
}

/**
 * The dashboard's variables, in order, as Grafana would resolve them: a `label_values(selector, label)` query is run
 * against Prometheus (with the variables before it substituted); a multi-value variable takes "All" (its allValue),
 * a single-value one takes `preferred[name]` when Prometheus offers it, else its first value. Throws when a variable
 * has no value at all: its panels would show nothing.
 */
export async function resolveVariables(
  dashboard: Dashboard,
  prometheus: RunningPrometheus,
  preferred: Record<string, string>,
): Promise<Record<string, string>> {
  const values: Record<string, string> = {};
  for (const variable of dashboard.templating.list) {
    if (variable.type === 'datasource') continue;
    const query = typeof variable.query === 'string' ? variable.query : (variable.query?.query ?? variable.definition ?? '');
    const match = /^label_values\((.+),\s*(\w+)\)$/.exec(query.trim());
    if (!match) throw new Error(`${dashboard.uid}: variable ${variable.name} is not label_values(selector, label): ${query}`);
    const [, selector, label] = match as unknown as [string, string, string];
    const options = await prometheus.labelValues(label, substitute(selector, values));
    if (options.length === 0) throw new Error(`${dashboard.uid}: variable ${variable.name} has no values (${substitute(query, values)})`);
    if (variable.multi && variable.includeAll) values[variable.name] = variable.allValue ?? options.join('|');
    else values[variable.name] = options.includes(preferred[variable.name] ?? '') ? preferred[variable.name]! : options[0]!;
  }
  return values;
}
