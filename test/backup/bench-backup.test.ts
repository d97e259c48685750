// bench:backup cleans up after itself: no writer left running (or paused), no output directory left behind, and
// no database built when the sqlite3 CLI it compares against is missing.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ROOT, tempDir, type ScriptResult } from './helpers';

const CACHE = path.join(ROOT, '.cache/bench');
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Runs the bench; onStderr sees each chunk of its stderr as it comes. */
function bench(args: string[], env: NodeJS.ProcessEnv, onStderr: (text: string, pid: number) => void = () => {}) {
  const child = spawn(process.execPath, [path.join(ROOT, 'node_modules/tsx/dist/cli.mjs'), 'bench/backup.ts', ...args], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  cleanups.push(() => void child.kill('SIGKILL'));
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    onStderr(stderr, child.pid!);
  });
  return new Promise<ScriptResult & { signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
}

describe('bench:backup', () => {
  it('without the sqlite3 CLI: exit 1 at once, nothing built', async () => {
    // A PATH with node only.
    const bin = tempDir('drop-bench-path-');
    cleanups.push(() => fs.rmSync(bin, { recursive: true, force: true }));
    fs.symlinkSync(process.execPath, path.join(bin, 'node'));
    const database = path.join(CACHE, 'backup-3mb.db');
    fs.rmSync(database, { force: true });
    const result = await bench(['--size-mb', '3', '--rounds', '1'], { ...process.env, PATH: bin });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/the sqlite3 CLI is needed for the manual route and was not found on PATH/);
    expect(fs.existsSync(database)).toBe(false);
  });

  it('stopped (SIGTERM) while its writer is paused: the writer is killed, the output directory removed', async () => {
    let writerPid: number | undefined;
    let signalled = false;
    const result = await bench(['--size-mb', '2', '--rounds', '1'], process.env, (stderr, pid) => {
      const started = /writer started \(pid (\d+)\)/.exec(stderr);
      if (!started || signalled) return;
      signalled = true;
      writerPid = Number(started[1]);
      // As the manual variant leaves it while sqlite3 .backup runs.
      process.kill(writerPid, 'SIGSTOP');
      process.kill(pid, 'SIGTERM');
    });
    cleanups.push(() => void (writerPid && alive(writerPid) && process.kill(writerPid, 'SIGKILL')));
    expect(writerPid).toBeDefined();
    expect(result.code).toBe(143);
    expect(result.stderr).toMatch(/SIGTERM: stopping the writer/);
    for (let waited = 0; alive(writerPid!) && waited < 5000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(alive(writerPid!)).toBe(false);
    expect(fs.existsSync(path.join(CACHE, 'out'))).toBe(false);
  });
});
