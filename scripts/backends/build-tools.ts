// What the backend builds share: the cache folder, the Go toolchain, and running a build step.
import { spawnSync } from 'node:child_process';
import path from 'node:path';

export const repoRoot = path.resolve(import.meta.dirname, '..', '..');
export const cacheRoot = path.join(repoRoot, '.cache');

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
export function findGo(): string {
  for (const candidate of [process.env.GO, 'go', '/usr/local/go/bin/go']) {
    if (candidate && spawnSync(candidate, ['version'], { stdio: 'ignore' }).status === 0) return candidate;
  }
  throw new Error('Go is needed to build the backends (https://go.dev/dl/); set GO=/path/to/go if it is not on the PATH');
}
