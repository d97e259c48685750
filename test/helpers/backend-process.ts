// A real backend binary (Jaeger, Prometheus) run as a child process for one test file: its output kept for failure
// messages, started once its readiness URL answers 200, stopped with SIGTERM and its temporary folder removed.
import { spawn } from 'node:child_process';
import fs from 'node:fs';

export interface BackendProcess {
  /** stdout + stderr so far, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

export async function startBackendProcess(options: {
  name: string;
  binary: string;
  args: string[];
  readyUrl: string;
  /** Removed once the process has exited. */
  workDir: string;
  timeoutMs?: number;
}): Promise<BackendProcess> {
  const { name, binary, args, readyUrl, workDir, timeoutMs = 60_000 } = options;
  const child = spawn(binary, args, { cwd: workDir, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const keep = (chunk: Buffer) => {
    // The last 200 kB is plenty to explain a failure.
    log = (log + chunk.toString()).slice(-200_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let spawnError: Error | undefined;
  child.once('error', (error) => (spawnError = error));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null && !spawnError) {
      child.kill('SIGTERM');
      await exited;
    }
    fs.rmSync(workDir, { recursive: true, force: true });
  };

  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    if (spawnError) throw new Error(`${name} (${binary}) did not start: ${spawnError.message}`);
    if (child.exitCode !== null || child.signalCode !== null) {
      await stop();
      throw new Error(`${name} exited (code ${child.exitCode}, signal ${child.signalCode}):\n${log}`);
    }
    try {
      const response = await fetch(readyUrl, { signal: AbortSignal.timeout(2_000) });
      if (response.ok) return { output: () => log, stop };
      last = `${response.status} ${await response.text()}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await stop();
  throw new Error(`${name} was not ready at ${readyUrl} within ${timeoutMs} ms (last: ${last}):\n${log}`);
}
