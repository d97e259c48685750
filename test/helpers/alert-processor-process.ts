// Runs the alert processor as production does: the esbuild bundle (alert-processor/build.ts, what the image
// ships) in its own `node` process, on a free port of 127.0.0.1.
import { spawn } from 'node:child_process';
import readline from 'node:readline';
import { buildAlertProcessor } from '@alerts';
import { freePort } from './app-server';

export interface RunningAlertProcessor {
  url: string;
  /** Every stdout/stderr line so far. */
  lines: string[];
  /** The JSON log records it wrote so far, parsed. */
  logRecords(): Record<string, unknown>[];
  output(): string;
  /** Sends the signal and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** The intake's shared secret every test processor is started with (ALERTS_INTAKE_TOKEN), unless a test overrides it. */
export const INTAKE_TOKEN = 'test-intake-token-0123456789abcdef';
/** The header the collector sends with it. */
export const INTAKE_AUTHORIZATION = { authorization: `Bearer ${INTAKE_TOKEN}` } as const;

let bundle: Promise<string> | undefined;

export async function startAlertProcessor(env: Record<string, string>): Promise<RunningAlertProcessor> {
  bundle ??= buildAlertProcessor();
  const entry = await bundle;
  const port = await freePort();
  const childEnv: Record<string, string | undefined> = { ...process.env };
  for (const key of Object.keys(childEnv)) if (key.startsWith('VITEST') || key === 'NODE_ENV') delete childEnv[key];
  const child = spawn(process.execPath, [entry], {
    // Without the runner's NODE_ENV=test and VITEST_* (the image sets NODE_ENV=production).
    env: {
      ...childEnv,
      ALERTS_HOST: '127.0.0.1',
      ALERTS_PORT: String(port),
      ALERTS_INTAKE_TOKEN: INTAKE_TOKEN,
      ...env,
    } as unknown as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  for (const stream of [child.stdout!, child.stderr!]) readline.createInterface({ input: stream }).on('line', (line) => lines.push(line));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const output = () => lines.join('\n') || '(no output)';
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the alert processor exited with ${child.exitCode}:\n${output()}`);
    if (
      await fetch(`${url}/healthz`).then(
        (r) => r.ok,
        () => false,
      )
    )
      break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the alert processor did not answer /healthz within 20 s:\n${output()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url,
    lines,
    output,
    logRecords: () =>
      lines.flatMap((line) => {
        try {
          return line.startsWith('{') ? [JSON.parse(line) as Record<string, unknown>] : [];
        } catch {
          return [];
        }
      }),
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
