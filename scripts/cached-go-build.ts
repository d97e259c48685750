// What the Go builds cached under .cache/ share (Drop's collector, Jaeger): the Go toolchain, running a build step,
// and reusing a cached binary or putting a finished build in its place.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export const repoRoot = path.resolve(import.meta.dirname, '..');
export const cacheRoot = path.join(repoRoot, '.cache');

export interface CachedBuild {
  /** The pinned version the binary is built from. */
  version: string;
  binary: string;
  /** False when the cached binary was reused. */
  built: boolean;
  seconds: number;
}

export function run(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv }, what: string): void {
  const result = spawnSync(command, args, {
    cwd: options.cwd ?? repoRoot,
    env: options.env ?? process.env,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (result.error) throw new Error(`${what}: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`${what} failed (exit ${result.status})`);
}

/** The Go toolchain: $GO, `go` on the PATH, or the official tarball's location. */
export function findGo(neededFor: string): string {
  for (const candidate of [process.env.GO, 'go', '/usr/local/go/bin/go']) {
    if (candidate && spawnSync(candidate, ['version'], { stdio: 'ignore' }).status === 0) return candidate;
  }
  throw new Error(`Go is needed to build ${neededFor} (https://go.dev/dl/); set GO=/path/to/go if it is not on the PATH`);
}

/**
 * `binary`, in a folder of its own under .cache/ named by what it is built from: reused when it is there; otherwise
 * `build` fills a fresh folder beside it, which is renamed into place at the end, so a half-finished build is never
 * taken for a cached one.
 */
export function cachedGoBuild(version: string, binary: string, build: (workDir: string) => void): CachedBuild {
  const started = performance.now();
  const elapsed = () => Math.round((performance.now() - started) / 100) / 10;
  if (fs.existsSync(binary)) return { version, binary, built: false, seconds: elapsed() };

  const finalDir = path.dirname(binary);
  fs.mkdirSync(path.dirname(finalDir), { recursive: true });
  const workDir = fs.mkdtempSync(`${finalDir}.partial-`);
  try {
    build(workDir);
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
