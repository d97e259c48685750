// Drop's collector binary, built with the OpenTelemetry Collector Builder (ocb) from
// otel/collector/builder-config.yaml and cached by the manifest's hash, so it is rebuilt only when the
// manifest changes. Used by `npm run collector:build`, `npm run collector:validate` and the fan-out test.
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parse, stringify } from 'yaml';

export const repoRoot = path.resolve(import.meta.dirname, '..', '..');
export const manifestPath = path.join(repoRoot, 'otel', 'collector', 'builder-config.yaml');
const cacheRoot = path.join(repoRoot, '.cache', 'otelcol');

interface Manifest {
  dist: { name: string; version: string; output_path?: string };
  [kind: string]: unknown;
}

export interface CollectorBuild {
  /** The pinned collector release, e.g. "0.161.0": builder, components and the compose image tag. */
  version: string;
  binary: string;
  /** False when the cached binary was reused. */
  built: boolean;
  seconds: number;
}

function readManifest(): { text: string; manifest: Manifest } {
  const text = fs.readFileSync(manifestPath, 'utf8');
  const manifest = parse(text) as Manifest;
  if (!manifest?.dist?.name || !manifest.dist.version) {
    throw new Error(`${manifestPath}: dist.name and dist.version are required`);
  }
  return { text, manifest };
}

/** Every component module must sit at the pinned release (stable confmap providers use their v1.x line). */
function checkComponentVersions(manifest: Manifest): void {
  const wanted = `v${manifest.dist.version}`;
  for (const kind of ['extensions', 'receivers', 'processors', 'exporters', 'connectors']) {
    for (const entry of (manifest[kind] as { gomod: string }[] | undefined) ?? []) {
      const [module, version] = entry.gomod.split(/\s+/);
      if (version !== wanted) {
        throw new Error(`${manifestPath}: ${module} is at ${version}, the pinned release is ${wanted}`);
      }
    }
  }
}

/** Where the binary for the current manifest lives: .cache/otelcol/<version>-<hash>/<dist.name>. */
export function collectorBinaryPath(): string {
  const { text, manifest } = readManifest();
  const hash = crypto.createHash('sha256').update(text).digest('hex').slice(0, 12);
  return path.join(cacheRoot, `${manifest.dist.version}-${hash}`, manifest.dist.name);
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv, what: string): void {
  const result = spawnSync(command, args, { cwd: repoRoot, env, stdio: ['ignore', 'inherit', 'inherit'] });
  if (result.error) throw new Error(`${what}: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`${what} failed (exit ${result.status})`);
}

/** The Go toolchain: $GO, `go` on the PATH, or the official tarball's location. */
function findGo(): string {
  for (const candidate of [process.env.GO, 'go', '/usr/local/go/bin/go']) {
    if (candidate && spawnSync(candidate, ['version'], { stdio: 'ignore' }).status === 0) return candidate;
  }
  throw new Error('Go is needed to build the collector (https://go.dev/dl/); set GO=/path/to/go if it is not on the PATH');
}

/** The ocb builder at the pinned release, installed into the cache (not into GOPATH/bin). */
function ensureBuilder(version: string, go: string): string {
  const bin = path.join(cacheRoot, `builder-v${version}`);
  const builder = path.join(bin, 'builder');
  if (!fs.existsSync(builder)) {
    process.stderr.write(`[collector] installing the OpenTelemetry Collector Builder v${version}…\n`);
    run(go, ['install', `go.opentelemetry.io/collector/cmd/builder@v${version}`], { ...process.env, GOBIN: bin }, 'go install builder');
  }
  return builder;
}

/** The collector binary for the current manifest: the cached one, or a fresh build (several minutes). */
export function ensureCollector(): CollectorBuild {
  const started = performance.now();
  const { manifest } = readManifest();
  checkComponentVersions(manifest);
  const version = manifest.dist.version;
  const binary = collectorBinaryPath();
  const elapsed = () => Math.round((performance.now() - started) / 100) / 10;
  if (fs.existsSync(binary)) return { version, binary, built: false, seconds: elapsed() };

  const go = findGo();
  const builder = ensureBuilder(version, go);
  const finalDir = path.dirname(binary);
  // Build next to the final folder and rename at the end: a half-finished build is never taken for a cached one.
  fs.mkdirSync(cacheRoot, { recursive: true });
  const workDir = fs.mkdtempSync(`${finalDir}.partial-`);
  try {
    const buildManifest = path.join(workDir, 'builder-config.yaml');
    fs.writeFileSync(buildManifest, stringify({ ...manifest, dist: { ...manifest.dist, output_path: workDir, go } }));
    process.stderr.write(`[collector] building ${manifest.dist.name} ${version} (first build takes several minutes)…\n`);
    run(builder, [`--config=${buildManifest}`], process.env, 'ocb build');
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
  return { version, binary, built: true, seconds: elapsed() };
}
