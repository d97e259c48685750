// Jaeger v2 (the all-in-one `jaeger` binary, OTLP in, query API out) built from the Go module proxy and cached by
// version under .cache/jaeger/<version>/jaeger. `go install` refuses the module (its go.mod has replace
// directives), so a scratch module pins it as a tool (`go get -tool`) and builds it: about 7 minutes cold.
// Jaeger v2 releases carry a twin v1.x tag on the same commit; the Go module proxy only serves the v1.x one.
import fs from 'node:fs';
import path from 'node:path';
import { cacheRoot, findGo, run } from './build-tools';

/** The Go module version of jaegertracing/jaeger; it is the Jaeger v2.13.0 release. */
export const JAEGER_MODULE_VERSION = 'v1.76.0';
const JAEGER_PACKAGE = 'github.com/jaegertracing/jaeger/cmd/jaeger';

export interface BackendBuild {
  version: string;
  binary: string;
  /** False when the cached binary was reused. */
  built: boolean;
  seconds: number;
}

export function jaegerBinaryPath(): string {
  return path.join(cacheRoot, 'jaeger', JAEGER_MODULE_VERSION, 'jaeger');
}

/** The cached Jaeger binary, or a fresh build from the Go module proxy (several minutes). */
export function ensureJaeger(): BackendBuild {
  const started = performance.now();
  const elapsed = () => Math.round((performance.now() - started) / 100) / 10;
  const binary = jaegerBinaryPath();
  if (fs.existsSync(binary)) return { version: JAEGER_MODULE_VERSION, binary, built: false, seconds: elapsed() };

  const go = findGo();
  const finalDir = path.dirname(binary);
  fs.mkdirSync(path.dirname(finalDir), { recursive: true });
  // Build next to the final folder and rename at the end: a half-finished build is never taken for a cached one.
  const workDir = fs.mkdtempSync(`${finalDir}.partial-`);
  try {
    const env = { ...process.env, GOFLAGS: '-mod=mod', GOWORK: 'off' };
    process.stderr.write(`[jaeger] building Jaeger ${JAEGER_MODULE_VERSION} from the Go module proxy (about 7 minutes cold)…\n`);
    run(go, ['mod', 'init', 'drop.local/jaeger-build'], { cwd: workDir, env }, 'go mod init');
    run(go, ['get', '-tool', `${JAEGER_PACKAGE}@${JAEGER_MODULE_VERSION}`], { cwd: workDir, env }, 'go get -tool jaeger');
    run(go, ['build', '-trimpath', '-o', path.join(workDir, 'jaeger'), JAEGER_PACKAGE], { cwd: workDir, env }, 'go build jaeger');
    fs.chmodSync(workDir, 0o755);
    try {
      fs.renameSync(workDir, finalDir);
    } catch (error) {
      // Another build finished first: keep theirs.
      if (!fs.existsSync(binary)) throw error;
    }
  } finally {
    fs.rmSync(workDir, { recursive: true, force: true });
  }
  return { version: JAEGER_MODULE_VERSION, binary, built: true, seconds: elapsed() };
}
