import { spawn } from 'node:child_process';
import path from 'node:path';
import { TEST_AUTH_SECRET } from './app-server';

const ROOT = path.resolve(import.meta.dirname, '../..');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * An `npm run audit:*` script as an operator runs it: a child process (tsx) against DATABASE_URL, with the test
 * servers' AUTH_SECRET (so the audit MAC keys are TEST_AUDIT_MAC_KEYS).
 */
export function runAuditScript(
  script: string,
  databaseUrl: string,
  args: string[] = [],
  env: Record<string, string> = {},
): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['node_modules/tsx/dist/cli.mjs', `scripts/${script}`, ...args], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: databaseUrl, AUTH_SECRET: TEST_AUTH_SECRET, OTEL_SDK_DISABLED: 'true', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}
