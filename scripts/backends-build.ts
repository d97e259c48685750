// `npm run backends:build`: the real Jaeger v2 the backend tests run, built from the Go module proxy or reused from
// .cache/, printed with where it is. Prometheus comes from the Debian archive (.ci/run installs it).
import { ensureJaeger } from './backends/jaeger';

try {
  const build = ensureJaeger();
  process.stderr.write(`[backends] ${build.built ? 'built' : 'cached'} jaeger ${build.version} in ${build.seconds} s\n`);
  process.stdout.write(`${build.binary}\n`);
} catch (error) {
  process.stderr.write(`backends:build failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
