// A throwaway copy of the repository (the files git knows, as an operator's clone has them) run as its own compose
// project on the machine's Docker engine: `docker compose …` in that directory, with the project's .env.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const repoRoot = path.resolve(import.meta.dirname, '..', '..');

export const HOW_TO_GET_DOCKER =
  'the compose test needs a Docker engine with the compose and buildx plugins: on Linux as root, ' +
  '`npm run docker:harness` sets one up that works without an image registry (docs/DEPLOYMENT.md#the-docker-harness); ' +
  'elsewhere start Docker (Docker Desktop, or dockerd with docker-compose-plugin and docker-buildx-plugin)';

export interface CommandResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** What is missing for the compose test, or undefined when the engine, compose and buildx all answer. */
export function dockerProblem(): string | undefined {
  for (const args of [
    ['info', '--format', '{{.ServerVersion}}'],
    ['compose', 'version'],
    ['buildx', 'version'],
  ]) {
    const result = spawnSync('docker', args, { encoding: 'utf8', timeout: 30_000 });
    if (result.status !== 0) return `\`docker ${args[0]}\` failed: ${(result.stderr || result.error?.message || '').trim()}`;
  }
  return undefined;
}

export class ComposeProject {
  readonly dir: string;

  constructor(readonly name: string) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), `${name}-`));
    // The repository as a clone has it: tracked and new files, nothing git ignores (no node_modules, .env, .cache).
    const files = spawnSync('git', ['ls-files', '-z', '-co', '--exclude-standard'], { cwd: repoRoot, encoding: 'buffer' });
    if (files.status !== 0) throw new Error(`git ls-files failed: ${files.stderr.toString()}`);
    const copy = spawnSync('bash', ['-c', `tar --null --ignore-failed-read -T - -cf - 2>/dev/null | tar -xf - -C "$1"`, 'copy', this.dir], {
      cwd: repoRoot,
      input: files.stdout,
    });
    if (copy.status !== 0) throw new Error(`copying the repository failed: ${copy.stderr.toString()}`);
  }

  /** Writes the project's .env (COMPOSE_PROJECT_NAME included). */
  writeEnv(values: Record<string, string>): void {
    const lines = Object.entries({ COMPOSE_PROJECT_NAME: this.name, ...values }).map(([key, value]) => `${key}=${value}`);
    fs.writeFileSync(path.join(this.dir, '.env'), `${lines.join('\n')}\n`, { mode: 0o600 });
  }

  writeFile(name: string, text: string): void {
    fs.writeFileSync(path.join(this.dir, name), text);
  }

  /** `docker compose <args>` in the project; stdin is sent when given. Never throws on a non-zero exit. */
  compose(args: string[], options: { input?: string; timeoutMs?: number } = {}): Promise<CommandResult> {
    return new Promise((resolve) => {
      const child = spawn('docker', ['compose', ...args], {
        cwd: this.dir,
        env: { ...process.env, COMPOSE_PROJECT_NAME: this.name },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const timer = setTimeout(() => {
        stderr += `\n[killed after ${options.timeoutMs} ms]`;
        child.kill('SIGKILL');
      }, options.timeoutMs ?? 120_000);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ status: code ?? 1, stdout, stderr });
      });
      child.stdin.end(options.input ?? '');
    });
  }

  /** Like compose(), but a non-zero exit throws with the command's output. */
  async mustCompose(args: string[], options: { input?: string; timeoutMs?: number } = {}): Promise<string> {
    const result = await this.compose(args, options);
    if (result.status !== 0) {
      throw new Error(`docker compose ${args.join(' ')} exited ${result.status}:\n${result.stdout}\n${result.stderr}`.slice(-8000));
    }
    return result.stdout;
  }

  /** The host address (127.0.0.1:port) a service's container port is published on. */
  async published(service: string, port: number): Promise<string> {
    const out = (await this.mustCompose(['port', service, String(port)])).trim();
    return out.replace(/^0\.0\.0\.0:/, '127.0.0.1:');
  }

  /** Every container of the project (stopped ones too), and the services' logs, removed with their volumes. */
  async destroy(): Promise<void> {
    await this.compose(['down', '-v', '--remove-orphans', '--timeout', '10'], { timeoutMs: 180_000 });
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
