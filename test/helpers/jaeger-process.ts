// The real Jaeger v2 (scripts/backends/jaeger.ts builds it from the Go module proxy or reuses the cached binary), all
// in one process with in-memory storage, on free 127.0.0.1 ports: OTLP/gRPC in, the query API out.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { freePort } from './app-server';
import { startBackendProcess } from './backend-process';
import { ensureJaeger } from '../../scripts/backends/jaeger';

export interface RunningJaeger {
  /** host:port of its OTLP/gRPC receiver, what JAEGER_OTLP_ENDPOINT of extras.jaeger.yaml takes. */
  otlpGrpcEndpoint: string;
  /** The query service (UI and APIs), e.g. http://127.0.0.1:40123. */
  queryUrl: string;
  output(): string;
  stop(): Promise<void>;
}

export async function startJaeger(): Promise<RunningJaeger> {
  const { binary } = ensureJaeger();
  const [otlpPort, queryHttpPort, queryGrpcPort, healthPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'drop-jaeger-'));
  const config = {
    service: {
      extensions: ['jaeger_storage', 'jaeger_query', 'healthcheckv2'],
      pipelines: { traces: { receivers: ['otlp'], processors: ['batch'], exporters: ['jaeger_storage_exporter'] } },
      // No metrics endpoint of its own (it would take the fixed port 8888).
      telemetry: { metrics: { level: 'none' }, logs: { level: 'info' } },
    },
    extensions: {
      healthcheckv2: { use_v2: true, http: { endpoint: `127.0.0.1:${healthPort}` } },
      jaeger_query: {
        storage: { traces: 'memory' },
        // It would trace itself to the default OTLP endpoint (localhost:4317): another test's collector, maybe.
        enable_tracing: false,
        http: { endpoint: `127.0.0.1:${queryHttpPort}` },
        grpc: { endpoint: `127.0.0.1:${queryGrpcPort}` },
      },
      jaeger_storage: { backends: { memory: { memory: { max_traces: 100_000 } } } },
    },
    receivers: { otlp: { protocols: { grpc: { endpoint: `127.0.0.1:${otlpPort}` } } } },
    processors: { batch: { timeout: '200ms' } },
    exporters: { jaeger_storage_exporter: { trace_storage: 'memory' } },
  };
  const configPath = path.join(workDir, 'jaeger.yaml');
  fs.writeFileSync(configPath, stringify(config));
  const process = await startBackendProcess({
    name: 'jaeger',
    binary,
    args: ['--config', configPath],
    readyUrl: `http://127.0.0.1:${healthPort}/status`,
    workDir,
  });
  return { otlpGrpcEndpoint: `127.0.0.1:${otlpPort}`, queryUrl: `http://127.0.0.1:${queryHttpPort}`, ...process };
}
