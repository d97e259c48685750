// Jaeger v2 (the all-in-one `jaeger` binary, OTLP in, query API out) built from the Go module proxy and cached by
// version under .cache/jaeger/<version>/jaeger. `go install` refuses the module (its go.mod has replace
// directives), so a scratch module pins it as a tool (`go get -tool`) and builds it: about 7 minutes cold.
// Jaeger v2 releases carry a twin v1.x tag on the same commit; the Go module proxy only serves the v1.x one.
import path from 'node:path';
import { cacheRoot, cachedGoBuild, findGo, run, type CachedBuild } from '../cached-go-build';

/** The Go module version of jaegertracing/jaeger; it is the Jaeger v2.13.0 release. */
export const JAEGER_MODULE_VERSION = 'v1.76.0';
const JAEGER_PACKAGE = 'github.com/jaegertracing/jaeger/cmd/jaeger';

export function jaegerBinaryPath(): string {
  return path.join(cacheRoot, 'jaeger', JAEGER_MODULE_VERSION, 'jaeger');
}

/** The cached Jaeger binary, or a fresh build from the Go module proxy (several minutes). */
export function ensureJaeger(): CachedBuild {
  return cachedGoBuild(JAEGER_MODULE_VERSION, jaegerBinaryPath(), (workDir) => {
    const go = findGo('the backends');
    const env = { ...process.env, GOFLAGS: '-mod=mod', GOWORK: 'off' };
    process.stderr.write(`[jaeger] building Jaeger ${JAEGER_MODULE_VERSION} from the Go module proxy (about 7 minutes cold)…\n`);
    run(go, ['mod', 'init', 'drop.local/jaeger-build'], { cwd: workDir, env }, 'go mod init');
    run(go, ['get', '-tool', `${JAEGER_PACKAGE}@${JAEGER_MODULE_VERSION}`], { cwd: workDir, env }, 'go get -tool jaeger');
    run(go, ['build', '-trimpath', '-o', path.join(workDir, 'jaeger'), JAEGER_PACKAGE], { cwd: workDir, env }, 'go build jaeger');
  });
}
