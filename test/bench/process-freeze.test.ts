import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freezeTree, processTree, thawTree } from '../../bench/process-freeze';

const root = path.resolve(import.meta.dirname, '../..');
/** R, S, T (stopped), … — the state field of /proc/<pid>/stat. */
const state = (pid: number) =>
  fs
    .readFileSync(`/proc/${pid}/stat`, 'utf8')
    .replace(/^.*\) /s, '')
    .slice(0, 1);
/** The states of the pids once they all are (or all are not) stopped: signals are delivered asynchronously. */
async function settled(pids: number[], stopped: boolean): Promise<string[]> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const states = pids.map(state);
    if (states.every((s) => (s === 'T') === stopped) || Date.now() > deadline) return states;
    await new Promise((r) => setTimeout(r, 10));
  }
}
const started: ChildProcess[] = [];
const grandchildren: number[] = [];
afterEach(() => {
  for (const child of started.splice(0)) {
    child.kill('SIGCONT');
    child.kill('SIGKILL');
  }
  for (const pid of grandchildren.splice(0)) {
    try {
      process.kill(pid, 'SIGCONT');
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
});

/** A process that spawns a child of its own, both idling; resolves with both pids once the grandchild is up. */
async function parentWithChild(): Promise<{ parent: number; child: number }> {
  const script = `const c = require('node:child_process').spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    process.on('SIGTERM', () => { c.kill(); process.exit(0); });
    console.log(c.pid); setInterval(() => {}, 1000);`;
  const proc = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  started.push(proc);
  const child = await new Promise<number>((resolve) => proc.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))));
  grandchildren.push(child);
  return { parent: proc.pid!, child };
}

describe('bench:overhead process freezing', () => {
  it('stops a server and what it spawned, and continues both', async () => {
    const { parent, child } = await parentWithChild();
    expect(processTree(parent)).toEqual([parent, child]);
    freezeTree(parent);
    expect(await settled([parent, child], true)).toEqual(['T', 'T']);
    thawTree(parent);
    expect(await settled([parent, child], false)).not.toContain('T');
  });

  it('continues whatever it stopped when the process that stopped it fails', async () => {
    const { parent, child } = await parentWithChild();
    // Another process freezes the pair and then dies of an uncaught error.
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'test/bench/fixtures/freeze-and-fail.ts', String(parent)], {
      cwd: root,
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('bench failed');
    expect(await settled([parent, child], false)).not.toContain('T');
  });
});
