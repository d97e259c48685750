// The operator's path for real: the images built from the project's Dockerfiles as they are, `docker compose up`
// WITHOUT any Sentry value (every other secret .env.example asks for generated), on the machine's Docker engine
// (`npm run docker:harness` sets one up on a machine without an image registry). Two receivers join the stack
// (docker-compose.sinks.yml): the operator's OTLP backend, reached through the extras seam with the shipped
// extras.otlp-vendor.yaml, and Slack. Then the postgres profile, this time with the Sentry values (the OTLP receiver
// playing Sentry's ingest too).
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../scripts/free-port.mjs';
import { ComposeProject, HOW_TO_GET_DOCKER, dockerProblem } from '../helpers/compose-project';
import { HttpClient } from '../helpers/http-client';

const SQLITE_FILES = 'docker-compose.yml:test/compose/docker-compose.sinks.yml';
const POSTGRES_FILES = 'docker-compose.yml:docker-compose.postgres.yml:test/compose/docker-compose.sinks.yml';
const VENDOR_AUTHORIZATION = `Bearer ${crypto.randomBytes(12).toString('hex')}`;
const SENTRY_PATH = '/api/7/integration/otlp';
const SENTRY_PUBLIC_KEY = crypto.randomBytes(16).toString('hex');
const ADMIN = { email: 'first-admin@drop.example', name: 'First Admin', password: `Adm1n-${crypto.randomBytes(9).toString('base64url')}` };

interface Received {
  path: string;
  authorization: string | null;
  sentryAuth: string | null;
  contentType: string | null;
  body: string;
}

const randomSecret = () => crypto.randomBytes(36).toString('base64url');

function auditSigningKey(): string {
  const { privateKey } = crypto.generateKeyPairSync('ed25519');
  return privateKey.export({ type: 'pkcs8', format: 'pem' }).toString().trimEnd().replaceAll('\n', '\\n');
}

async function poll<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | undefined>,
  detail: () => Promise<string> = async () => '',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${await detail()}`);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
}

// One JSON object of every table's row count in the app's SQLite database, read inside the app container.
const COUNT_ROWS = `
const db = new (require('better-sqlite3'))('/app/data/drop.db', { readonly: true });
const tables = db.prepare("select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by name").all();
process.stdout.write(JSON.stringify(Object.fromEntries(tables.map(({ name }) => [name, db.prepare('select count(*) as n from "' + name + '"').get().n]))));
`;

describe('docker compose up (real engine, images built from the Dockerfiles, no Sentry values)', () => {
  const project = new ComposeProject(`drop-compose-test-${process.pid}-${crypto.randomBytes(3).toString('hex')}`);
  let env: Record<string, string>;
  let app: HttpClient;
  let upStartedAt = 0;

  const received = async (service: string): Promise<Received[]> => {
    const response = await fetch(`http://${await project.published(service, 8080)}/received`);
    return (await response.json()) as Received[];
  };
  const slackTexts = async () => (await received('slack-sink')).map((r) => Buffer.from(r.body, 'base64').toString('utf8'));
  const logsOf = async (service: string) => {
    const result = await project.compose(['logs', '--no-color', '--tail', '200', service]);
    return `--- ${service} logs ---\n${result.stdout}${result.stderr}`.slice(-6000);
  };
  const states = async () =>
    (await project.mustCompose(['ps', '--all', '--format', 'json']))
      .trim()
      .split('\n')
      .filter(Boolean)
      .flatMap((line) => (line.startsWith('[') ? (JSON.parse(line) as object[]) : [JSON.parse(line) as object]))
      .map((c) => c as { Service: string; State: string; Health: string });
  // `up --wait` refuses a service without a health check (backup): wait for every one that has one instead.
  const up = async () => {
    await project.mustCompose(['up', '-d'], { timeoutMs: 300_000 });
    await poll(
      'every service with a health check to be healthy',
      240_000,
      async () => {
        const all = await states();
        return all.every((c) => c.State === 'running' && (c.Health === '' || c.Health === 'healthy')) ? all : undefined;
      },
      async () => `${JSON.stringify(await states())}\n${await logsOf('app')}\n${await logsOf('otel-collector')}`,
    );
    app = new HttpClient(`http://127.0.0.1:${env.APP_PORT}`);
  };

  beforeAll(async () => {
    const problem = dockerProblem();
    if (problem) throw new Error(`${problem}\n${HOW_TO_GET_DOCKER}`);
    env = {
      COMPOSE_FILE: SQLITE_FILES,
      AUTH_SECRET: randomSecret(),
      AUDIT_SIGNING_KEY: auditSigningKey(),
      ALERTS_INTAKE_TOKEN: randomSecret(),
      POSTGRES_PASSWORD: crypto.randomBytes(18).toString('hex'),
      SLACK_WEBHOOK_URL: 'http://slack-sink:8080/services/T000/B000/compose-test',
      OTEL_COLLECTOR_EXTRAS: './otel/collector/examples/extras.otlp-vendor.yaml',
      OTLP_VENDOR_ENDPOINT: 'http://otlp-sink:8080',
      OTLP_VENDOR_AUTHORIZATION: VENDOR_AUTHORIZATION,
      APP_PORT: String(await freePort()),
      OTEL_COLLECTOR_GRPC_PORT: String(await freePort()),
      OTEL_COLLECTOR_HTTP_PORT: String(await freePort()),
      ALERTS_HOST_PORT: String(await freePort()),
    };
    project.writeEnv(env);
    // The images, from the Dockerfiles as they are (compose builds drop-app and drop-otel-collector).
    await project.mustCompose(['build'], { timeoutMs: 30 * 60_000 });
    upStartedAt = Date.now();
    await up();
  }, 40 * 60_000);

  afterAll(async () => {
    await project.destroy();
  }, 300_000);

  it('brings every service up healthy', async () => {
    const byService = Object.fromEntries((await states()).map((c) => [c.Service, `${c.State}/${c.Health || 'no health check'}`]));
    expect(byService).toEqual({
      app: 'running/healthy',
      'otel-collector': 'running/healthy',
      'alert-processor': 'running/healthy',
      backup: 'running/no health check',
      'otlp-sink': 'running/healthy',
      'slack-sink': 'running/healthy',
    });
    const health = await app.get('/api/health');
    expect(health.status).toBe(200);
    // No Sentry value, so no Sentry exporter: the collector said so and started without an error.
    expect(await logsOf('otel-collector')).toContain('no Sentry values, so no Sentry exporter');
  });

  it("delivers a request's trace id (x-request-id) to the operator's backend through the collector", async () => {
    const response = await app.get('/api/auth/csrf');
    expect(response.status).toBe(200);
    const traceId = response.headers.get('x-request-id') ?? '';
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    const rawId = Buffer.from(traceId, 'hex');
    const hit = await poll(
      `trace ${traceId} at the OTLP sink`,
      60_000,
      async () => (await received('otlp-sink')).find((r) => r.path === '/v1/traces' && Buffer.from(r.body, 'base64').includes(rawId)),
      () => logsOf('otel-collector'),
    );
    expect(hit.authorization).toBe(VENDOR_AUTHORIZATION);
    expect(hit.contentType).toBe('application/x-protobuf');
  });

  it('posts the start-up alert to Slack', async () => {
    const started = await poll(
      'the app.started alert in Slack',
      90_000,
      async () => (await slackTexts()).find((text) => text.includes('app.started')),
      () => logsOf('alert-processor'),
    );
    expect(started).toContain('drop started');
  });

  it('has a verified backup in the volume within a minute of the fresh deploy', async () => {
    const listing = await poll(
      'a backup and its checksum in /backups',
      Math.max(5_000, upStartedAt + 60_000 - Date.now()),
      async () => {
        const ls = await project.compose(['exec', '-T', 'backup', 'ls', '-1', '/backups']);
        const files = ls.stdout.split('\n').filter(Boolean);
        const backup = files.find((f) => /^drop-.*\.db(\.gz)?$/.test(f));
        return backup && files.includes(`${backup}.sha256`) ? backup : undefined;
      },
      () => logsOf('backup'),
    );
    const check = await project.compose(['exec', '-T', '-w', '/backups', 'backup', 'sha256sum', '-c', `${listing}.sha256`]);
    expect(check.stdout + check.stderr).toContain(': OK');
    expect(check.status).toBe(0);
  });

  it('runs a restore drill inside the container', async () => {
    const files = (await project.mustCompose(['exec', '-T', 'backup', 'ls', '-1', '/backups'])).split('\n');
    const backup = files.find((f) => /^drop-.*\.db(\.gz)?$/.test(f));
    expect(backup).toBeDefined();
    const drill = await project.compose(['exec', '-T', 'backup', 'bash', 'scripts/restore-drill.sh', `/backups/${backup}`], {
      timeoutMs: 180_000,
    });
    const summary = JSON.parse(drill.stdout.trim().split('\n').at(-1) ?? '{}') as { ok?: boolean; dialect?: string; message?: string };
    expect({ exitCode: drill.status, ok: summary.ok, dialect: summary.dialect }, `${drill.stdout}\n${drill.stderr}`).toEqual({
      exitCode: 0,
      ok: true,
      dialect: 'sqlite',
    });
  }, 240_000);

  it('creates the first admin with the documented command, who reads /api/admin/audit', async () => {
    const created = await project.compose(
      ['exec', '-T', 'app', 'node', 'scripts/dist/admin.mjs', 'create', '--email', ADMIN.email, '--name', ADMIN.name],
      { input: `${ADMIN.password}\n` },
    );
    expect(created.status, `${created.stdout}\n${created.stderr}`).toBe(0);
    // The password went in on stdin, never on the command line or into the output.
    expect(created.stdout + created.stderr).not.toContain(ADMIN.password);
    const login = await app.login(ADMIN.email, ADMIN.password);
    expect(login.status, login.text).toBe(200);
    const audit = await app.get('/api/admin/audit');
    expect(audit.status, audit.text).toBe(200);
  });

  it('keeps every row across `down` and `up`', async () => {
    const before = JSON.parse(await project.mustCompose(['exec', '-T', 'app', 'node', '-e', COUNT_ROWS])) as Record<string, number>;
    expect(Object.values(before).reduce((sum, n) => sum + n, 0)).toBeGreaterThan(0);
    await project.mustCompose(['down', '--timeout', '30'], { timeoutMs: 180_000 });
    await up();
    const after = JSON.parse(await project.mustCompose(['exec', '-T', 'app', 'node', '-e', COUNT_ROWS])) as Record<string, number>;
    // Rows only ever get added (the restart's own log lines, sessions…): none of those before may be missing.
    for (const [table, count] of Object.entries(before)) expect(after[table] ?? 0, table).toBeGreaterThanOrEqual(count);
    expect((await app.login(ADMIN.email, ADMIN.password)).status).toBe(200);
  }, 600_000);

  it('posts the shutdown alert to Slack on `docker compose stop app`', async () => {
    await project.mustCompose(['stop', 'app'], { timeoutMs: 120_000 });
    const stopping = await poll(
      'the app.stopping alert in Slack',
      90_000,
      async () => (await slackTexts()).find((text) => text.includes('app.stopping')),
      () => logsOf('alert-processor'),
    );
    expect(stopping).toContain('drop is stopping');
  }, 180_000);

  it('brings the app up on PostgreSQL with the postgres profile, and sends to Sentry once its values are set', async () => {
    await project.mustCompose(['down', '-v', '--timeout', '10'], { timeoutMs: 180_000 });
    env = {
      ...env,
      COMPOSE_FILE: POSTGRES_FILES,
      COMPOSE_PROFILES: 'postgres',
      SENTRY_OTLP_TRACES_ENDPOINT: `http://otlp-sink:8080${SENTRY_PATH}/v1/traces`,
      SENTRY_OTLP_LOGS_ENDPOINT: `http://otlp-sink:8080${SENTRY_PATH}/v1/logs`,
      SENTRY_PUBLIC_KEY,
    };
    project.writeEnv(env);
    await up();
    const postgres = (await project.mustCompose(['ps', '--format', '{{.Service}} {{.State}} {{.Health}}'])).split('\n');
    expect(postgres).toContain('postgres running healthy');
    expect(postgres).toContain('app running healthy');
    expect((await app.get('/api/health')).status).toBe(200);
    // The app's schema is in PostgreSQL (the app migrated it there), and its first request wrote through it.
    const tables = await project.mustCompose([
      'exec',
      '-T',
      'postgres',
      'psql',
      '-U',
      'drop',
      '-d',
      'drop',
      '-tAc',
      "select count(*) from information_schema.tables where table_schema = 'public'",
    ]);
    expect(Number(tables.trim())).toBeGreaterThan(3);
    const appEnv = await project.mustCompose(['exec', '-T', 'app', 'printenv', 'DATABASE_URL']);
    expect(appEnv).toMatch(/^postgres:\/\/drop:[0-9a-f]+@postgres:5432\/drop/);

    // With the three Sentry values the collector adds Sentry's pipelines: the request's trace reaches Sentry's path.
    const traceId = (await app.get('/api/auth/csrf')).headers.get('x-request-id') ?? '';
    const atSentry = await poll(
      `trace ${traceId} at Sentry's OTLP path`,
      60_000,
      async () =>
        (await received('otlp-sink')).find(
          (r) => r.path === `${SENTRY_PATH}/v1/traces` && Buffer.from(r.body, 'base64').includes(Buffer.from(traceId, 'hex')),
        ),
      () => logsOf('otel-collector'),
    );
    expect(atSentry.sentryAuth).toBe(`sentry sentry_key=${SENTRY_PUBLIC_KEY}`);
  }, 600_000);
});
