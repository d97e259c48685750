// Drop's collector binary, built with the OpenTelemetry Collector Builder (ocb) from
// otel/collector/builder-config.yaml and cached by the manifest's hash, so it is rebuilt only when the
// manifest changes. Used by `npm run collector:build`, `npm run collector:validate` and the fan-out test.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { cacheRoot, cachedGoBuild, findGo, repoRoot, run, type CachedBuild } from '../cached-go-build';

export { repoRoot };
export const manifestPath = path.join(repoRoot, 'otel', 'collector', 'builder-config.yaml');
const collectorCache = path.join(cacheRoot, 'otelcol');

interface Manifest {
  dist: { name: string; version: string; output_path?: string };
  [kind: string]: unknown;
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
  return path.join(collectorCache, `${manifest.dist.version}-${hash}`, manifest.dist.name);
}

/** The ocb builder at the pinned release, installed into the cache (not into GOPATH/bin). */
function ensureBuilder(version: string, go: string): string {
  const bin = path.join(collectorCache, `builder-v${version}`);
  const builder = path.join(bin, 'builder');
  if (!fs.existsSync(builder)) {
    process.stderr.write(`[collector] installing the OpenTelemetry Collector Builder v${version}…\n`);
    run(
      go,
      ['install', `go.opentelemetry.io/collector/cmd/builder@v${version}`],
      { env: { ...process.env, GOBIN: bin } },
      'go install builder',
    );
  }
  return builder;
}

/**
 * The collector binary for the current manifest: the cached one, or a fresh build (several minutes). Its version is
 * the pinned collector release, e.g. "0.161.0": builder, components and the compose image tag.
 */
export function ensureCollector(): CachedBuild {
  const { manifest } = readManifest();
  checkComponentVersions(manifest);
  const version = manifest.dist.version;
  return cachedGoBuild(version, collectorBinaryPath(), (workDir) => {
    const go = findGo('the collector');
    const builder = ensureBuilder(version, go);
    const buildManifest = path.join(workDir, 'builder-config.yaml');
    fs.writeFileSync(buildManifest, stringify({ ...manifest, dist: { ...manifest.dist, output_path: workDir, go } }));
    process.stderr.write(`[collector] building ${manifest.dist.name} ${version} (first build takes several minutes)…\n`);
    run(builder, [`--config=${buildManifest}`], {}, 'ocb build');
  });
}
