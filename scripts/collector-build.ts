// `npm run collector:build`: builds Drop's collector from otel/collector/builder-config.yaml with the
// OpenTelemetry Collector Builder (needs Go), or reuses the cached binary, and prints where it is.
import { ensureCollector } from './collector/otelcol';

try {
  const build = ensureCollector();
  process.stderr.write(`[collector] ${build.built ? 'built' : 'cached'} otelcol ${build.version} in ${build.seconds} s\n`);
  process.stdout.write(`${build.binary}\n`);
} catch (error) {
  process.stderr.write(`collector:build failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
