#!/usr/bin/env node
// One command for a first look at Drop: SQLite, migrations, demo users, a production build, next start on
// 127.0.0.1:3000. HOST=0.0.0.0 serves every interface (`next start` ignores HOSTNAME, which shells and
// containers set to the machine's name: it is passed as -H instead).
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { demoEnv, demoExports } from './demo-env.mjs';

const root = path.resolve(import.meta.dirname, '..');
const port = process.env.PORT ?? '3000';
const host = process.env.HOST || '127.0.0.1';
const say = (line) => process.stderr.write(`[demo] ${line}\n`);

function run(command, args, env = process.env) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env });
  if (result.status !== 0) {
    say(`${command} ${args.join(' ')} failed (exit ${result.status})`);
    process.exit(result.status ?? 1);
  }
}

function newestMtime(dir) {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) newest = Math.max(newest, fs.statSync(path.join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

function buildIsStale() {
  const buildId = path.join(root, '.next', 'BUILD_ID');
  if (!fs.existsSync(buildId)) return true;
  const built = fs.statSync(buildId).mtimeMs;
  const sources = ['src', 'otel', 'next.config.ts', 'package.json']
    .map((p) => path.join(root, p))
    .filter((p) => fs.existsSync(p))
    .map((p) => (fs.statSync(p).isDirectory() ? newestMtime(p) : fs.statSync(p).mtimeMs));
  return Math.max(...sources) > built;
}

// `next start` runs in production mode, which requires AUTH_SECRET: keep one for the demo in ./data.
function demoSecret() {
  const file = path.join(root, 'data', '.auth-secret');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  if (!fs.existsSync(file)) fs.writeFileSync(file, crypto.randomBytes(48).toString('base64url'), { mode: 0o600 });
  return fs.readFileSync(file, 'utf8').trim();
}

// …and an Ed25519 key for the audit checkpoints (AUDIT_SIGNING_KEY_FILE), also kept in ./data.
function demoSigningKeyFile() {
  const file = path.join(root, 'data', '.audit-signing-key.pem');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  if (!fs.existsSync(file)) {
    const pem = crypto.generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' });
    fs.writeFileSync(file, pem, { mode: 0o600 });
  }
  return file;
}

const env = demoEnv(process.env, { secret: demoSecret, signingKeyFile: demoSigningKeyFile });
const otlpNamed = demoExports(process.env);

say(`database: ${process.env.DATABASE_URL ? 'DATABASE_URL' : 'SQLite at ./data/drop.db'}`);
run(process.execPath, ['node_modules/tsx/dist/cli.mjs', 'scripts/db-seed.ts'], env);
if (buildIsStale()) {
  say('building (first run or sources changed)…');
  run(process.execPath, ['node_modules/next/dist/bin/next', 'build'], env);
} else {
  say('build is up to date');
}

say(`Drop is starting on http://${host.includes(':') ? `[${host}]` : host}:${port}`);
if (!otlpNamed) say('telemetry: JSON logs with trace ids on stdout; set OTEL_EXPORTER_OTLP_ENDPOINT to export traces and logs');
say(`demo logins (password "${env.DEMO_PASSWORD}"): alice@drop.test, bob@drop.test, admin@drop.test (admin)`);
const server = spawn(process.execPath, ['node_modules/next/dist/bin/next', 'start', '-p', port, '-H', host], {
  cwd: root,
  stdio: 'inherit',
  env,
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.kill(signal));
server.on('exit', (code, signal) => process.exit(code ?? (signal ? 0 : 1)));
