// Runs the real collector binary (scripts/collector/otelcol.ts builds or reuses it) on free 127.0.0.1 ports.
import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from './app-server';
import { ensureCollector, repoRoot } from '../../scripts/collector/otelcol';

export interface RunningCollector {
  otlpHttpUrl: string;
  healthUrl: string;
  /** stdout + stderr so far, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

async function waitForHealthy(url: string, child: ChildProcess, output: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the collector exited with ${child.exitCode}:\n${output()}`);
    try {
      const response = await fetch(url);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the collector was not healthy within ${timeoutMs} ms:\n${output()}`);
}

export interface StartCollectorOptions {
  /** The OTLP/HTTP port to listen on (default: a free one), e.g. to restart a collector where the app sends. */
  otlpHttpPort?: number;
}

/** Starts `otelcol-drop --config <configs[0]> --config <configs[1]> …` (paths relative to the repo root). */
export async function startCollector(
  configs: string[],
  env: Record<string, string>,
  options: StartCollectorOptions = {},
): Promise<RunningCollector> {
  const { binary } = ensureCollector();
  const [grpcPort, healthPort, metricsPort] = [await freePort(), await freePort(), await freePort()];
  const httpPort = options.otlpHttpPort ?? (await freePort());
  const child = spawn(
    binary,
    configs.flatMap((config) => ['--config', config]),
    {
      cwd: repoRoot,
      env: {
        ...process.env,
        OTEL_COLLECTOR_OTLP_GRPC_ENDPOINT: `127.0.0.1:${grpcPort}`,
        OTEL_COLLECTOR_OTLP_HTTP_ENDPOINT: `127.0.0.1:${httpPort}`,
        OTEL_COLLECTOR_HEALTH_ENDPOINT: `127.0.0.1:${healthPort}`,
        OTEL_COLLECTOR_METRICS_HOST: '127.0.0.1',
        OTEL_COLLECTOR_METRICS_PORT: String(metricsPort),
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let log = '';
  child.stdout?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const output = () => log;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  const healthUrl = `http://127.0.0.1:${healthPort}/`;
  try {
    await waitForHealthy(healthUrl, child, output, 30_000);
  } catch (error) {
    await stop();
    throw error;
  }
  return { otlpHttpUrl: `http://127.0.0.1:${httpPort}`, healthUrl, output, stop };
}
