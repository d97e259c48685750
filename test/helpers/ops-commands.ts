import crypto from 'node:crypto';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { buildOpsCommands } from '../../scripts/ops-build';

const ROOT = path.resolve(import.meta.dirname, '../..');

export interface OpsCommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface OpsCommands {
  dir: string;
  /** `node <dir>/<name>.mjs args…` as the image runs it: plain node, stdin from `input` (or closed). */
  run(name: string, args: string[], options?: { env?: Record<string, string | undefined>; input?: string }): Promise<OpsCommandResult>;
  remove(): void;
}

/**
 * `npm run ops:build` into a folder of this test's own (inside node_modules, so the bundles find the project's
 * native modules as they do in the image's /app/node_modules), removed by `remove()`.
 */
export async function buildOpsCommandsForTest(): Promise<OpsCommands> {
  const dir = path.join(ROOT, 'node_modules', '.cache', 'drop-ops-test', crypto.randomBytes(6).toString('hex'));
  await buildOpsCommands(dir);
  return {
    dir,
    run: (name, args, options = {}) =>
      new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [path.join(dir, `${name}.mjs`), ...args], {
          cwd: ROOT,
          env: { ...process.env, NODE_ENV: 'production', OTEL_SDK_DISABLED: 'true', ...options.env },
          stdio: ['pipe', 'pipe', 'pipe'],
        });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
        child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
        child.on('error', reject);
        child.on('exit', (code) => resolve({ code, stdout, stderr }));
        child.stdin.on('error', () => undefined); // a command that exits before reading its stdin
        child.stdin.end(options.input ?? '');
      }),
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}
