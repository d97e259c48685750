// The real Prometheus (Debian's `prometheus` package, which .ci/run installs) on a free 127.0.0.1 port, with a fresh
// TSDB in a temporary folder and its remote-write receiver on: the collector's prometheusremotewrite exporter
// (otel/collector/examples/extras.prometheus.yaml) writes to it. It scrapes only the targets it is given.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './app-server';
import { startBackendProcess } from './backend-process';

export interface RunningPrometheus {
  url: string;
  /** What the collector's prometheusremotewrite exporter posts to. */
  remoteWriteUrl: string;
  /** An instant PromQL query; throws unless Prometheus answers `success`. */
  query(promql: string): Promise<PromSample[]>;
  /** The values of a label among the series that match the selector (what Grafana's label_values() lists). */
  labelValues(label: string, selector: string): Promise<string[]>;
  output(): string;
  stop(): Promise<void>;
}

export interface PromSample {
  metric: Record<string, string>;
  value: [number, string];
}

/** `prometheus` on the PATH (Debian installs /usr/bin/prometheus), or $PROMETHEUS_BIN. */
function prometheusBinary(): string {
  const candidate = process.env.PROMETHEUS_BIN ?? 'prometheus';
  const probe = spawnSync(candidate, ['--version'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    throw new Error(`Prometheus is needed by this test: \`apt-get install prometheus\` (.ci/run does), or set PROMETHEUS_BIN`);
  }
  return candidate;
}

export interface StartPrometheusOptions {
  /** job name → host:port of a /metrics endpoint, scraped every second. */
  scrapeTargets?: Record<string, string>;
}

export async function startPrometheus(options: StartPrometheusOptions = {}): Promise<RunningPrometheus> {
  const binary = prometheusBinary();
  const port = await freePort();
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'drop-prometheus-'));
  const configPath = path.join(workDir, 'prometheus.yml');
  const scrapeConfigs = Object.entries(options.scrapeTargets ?? {}).map(([job, target]) => ({
    job_name: job,
    scrape_interval: '1s',
    static_configs: [{ targets: [target] }],
  }));
  // JSON is YAML: no serializer needed.
  fs.writeFileSync(configPath, JSON.stringify({ global: { evaluation_interval: '5s' }, scrape_configs: scrapeConfigs }));
  const url = `http://127.0.0.1:${port}`;
  const process = await startBackendProcess({
    name: 'prometheus',
    binary,
    args: [
      `--config.file=${configPath}`,
      `--storage.tsdb.path=${path.join(workDir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--web.enable-remote-write-receiver',
    ],
    readyUrl: `${url}/-/ready`,
    workDir,
  });
  const query = async (promql: string): Promise<PromSample[]> => {
    const response = await fetch(`${url}/api/v1/query?${new URLSearchParams({ query: promql })}`);
    const body = (await response.json()) as { status: string; error?: string; data?: { resultType: string; result: PromSample[] } };
    if (body.status !== 'success' || !body.data) throw new Error(`Prometheus refused ${promql}: ${body.error ?? response.status}`);
    return body.data.result;
  };
  const labelValues = async (label: string, selector: string): Promise<string[]> => {
    const response = await fetch(`${url}/api/v1/label/${encodeURIComponent(label)}/values?${new URLSearchParams({ 'match[]': selector })}`);
    const body = (await response.json()) as { status: string; error?: string; data?: string[] };
    if (body.status !== 'success' || !body.data)
      throw new Error(`Prometheus refused label_values(${selector}, ${label}): ${body.error ?? response.status}`);
    return body.data;
  };
  return { url, remoteWriteUrl: `${url}/api/v1/write`, query, labelValues, ...process };
}
