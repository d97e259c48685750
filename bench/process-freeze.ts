/**
 * Stopping and continuing a server and everything it spawned (SIGSTOP / SIGCONT), so that bench:overhead can keep
 * every server but the measured one off the CPU; whatever is stopped is continued when this process exits, by any
 * path (normal exit, an error, SIGINT/SIGTERM), so no server is ever left frozen.
 */
import fs from 'node:fs';

/** A process and every descendant, read from /proc (children of each of its threads). */
export function processTree(pid: number): number[] {
  const pids = [pid];
  for (let i = 0; i < pids.length; i++) {
    let tasks: string[] = [];
    try {
      tasks = fs.readdirSync(`/proc/${pids[i]}/task`);
    } catch {
      continue; // exited meanwhile
    }
    for (const task of tasks) {
      try {
        const children = fs.readFileSync(`/proc/${pids[i]}/task/${task}/children`, 'utf8').trim();
        if (children) pids.push(...children.split(/\s+/).map(Number));
      } catch {
        // the thread ended meanwhile
      }
    }
  }
  return pids;
}

const frozen = new Set<number>();

function signalTree(pid: number, signal: 'SIGSTOP' | 'SIGCONT'): void {
  for (const p of processTree(pid)) {
    try {
      process.kill(p, signal);
    } catch {
      // gone already
    }
  }
}

let guarded = false;
function continueAllOnExit(): void {
  if (guarded) return;
  guarded = true;
  const thawAll = () => {
    for (const pid of frozen) signalTree(pid, 'SIGCONT');
    frozen.clear();
  };
  process.on('exit', thawAll);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      thawAll();
      process.exit(signal === 'SIGINT' ? 130 : 143);
    });
  }
}

export function freezeTree(pid: number | undefined): void {
  if (!pid) return;
  continueAllOnExit();
  frozen.add(pid);
  signalTree(pid, 'SIGSTOP');
}

export function thawTree(pid: number | undefined): void {
  if (!pid) return;
  signalTree(pid, 'SIGCONT');
  frozen.delete(pid);
}
