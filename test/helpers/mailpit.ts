// A real SMTP server for the alert email tests: mailpit, built from the Go module proxy by `.ci/run` into
// .cache/mailpit/<version>/ (the same MAILPIT_VERSION as there). It speaks STARTTLS with a certificate made here for
// 127.0.0.1 and requires AUTH; its HTTP API lists what it received.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './app-server';

export const MAILPIT_VERSION = 'v1.33.1';
const binary = path.resolve(import.meta.dirname, '../../.cache/mailpit', MAILPIT_VERSION, 'mailpit');

export interface MailpitMessage {
  ID: string;
  Subject: string;
  From: { Address: string };
  To: { Address: string }[];
}

export interface Mailpit {
  smtpPort: number;
  /** The CA file that verifies its certificate (SMTP_CA_FILE). */
  caFile: string;
  user: string;
  password: string;
  messages(): Promise<MailpitMessage[]>;
  /** One message's bodies, as received. */
  bodies(id: string): Promise<{ Text: string; HTML: string }>;
  waitFor(count: number, timeoutMs?: number): Promise<MailpitMessage[]>;
  /** Stops the server (its port stays this Mailpit's), e.g. to take it down for a while. */
  stop(): Promise<void>;
  /** Starts it again on the same ports, with the messages it had. */
  start(): Promise<void>;
  close(): Promise<void>;
}

/** The alert processor's email settings for this server: SMTP with STARTTLS and AUTH, one sender, the given recipients. */
export function alertEmailEnv(mailpit: Mailpit, to = 'oncall@drop.test'): Record<string, string> {
  return {
    SMTP_HOST: '127.0.0.1',
    SMTP_PORT: String(mailpit.smtpPort),
    SMTP_USER: mailpit.user,
    SMTP_PASSWORD: mailpit.password,
    SMTP_CA_FILE: mailpit.caFile,
    ALERT_EMAIL_FROM: 'Drop alerts <alerts@drop.test>',
    ALERT_EMAIL_TO: to,
  };
}

export async function startMailpit(): Promise<Mailpit> {
  if (!fs.existsSync(binary)) {
    throw new Error(
      `mailpit ${MAILPIT_VERSION} is not built at ${binary}: .ci/run builds it (GOBIN=.cache/mailpit/${MAILPIT_VERSION} go install github.com/axllent/mailpit@${MAILPIT_VERSION})`,
    );
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drop-mailpit-'));
  const caFile = path.join(dir, 'cert.pem');
  const keyFile = path.join(dir, 'key.pem');
  execFileSync(
    'openssl',
    [
      ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1'],
      ...['-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'],
      ...['-keyout', keyFile, '-out', caFile],
    ],
    { stdio: 'ignore' },
  );
  const [smtpPort, uiPort] = [await freePort(), await freePort()];
  const user = 'alerts';
  const password = 'mailpit-test-password';
  const api = `http://127.0.0.1:${uiPort}`;
  let child: ChildProcess | undefined;
  let output = '';

  const start = async () => {
    child = spawn(binary, [], {
      env: {
        ...process.env,
        MP_SMTP_BIND_ADDR: `127.0.0.1:${smtpPort}`,
        MP_UI_BIND_ADDR: `127.0.0.1:${uiPort}`,
        MP_DATABASE: path.join(dir, 'mailpit.db'),
        MP_SMTP_TLS_CERT: caFile,
        MP_SMTP_TLS_KEY: keyFile,
        MP_SMTP_REQUIRE_STARTTLS: 'true',
        MP_SMTP_AUTH: `${user}:${password}`,
        MP_DISABLE_VERSION_CHECK: 'true',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    for (const stream of [child.stdout!, child.stderr!])
      stream.on('data', (c: Buffer) => (output = (output + c.toString()).slice(-10_000)));
    const deadline = Date.now() + 15_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`mailpit exited with ${child.exitCode}:\n${output}`);
      const up = await fetch(`${api}/api/v1/info`).then(
        (r) => r.ok,
        () => false,
      );
      if (up) return;
      if (Date.now() > deadline) throw new Error(`mailpit did not answer within 15 s:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  const stop = async () => {
    const running = child;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGTERM');
    await exited;
  };
  const messages = async () => {
    const response = await fetch(`${api}/api/v1/messages?limit=1000`);
    return ((await response.json()) as { messages: MailpitMessage[] }).messages;
  };

  await start();
  return {
    smtpPort,
    caFile,
    user,
    password,
    messages,
    bodies: async (id) => (await (await fetch(`${api}/api/v1/message/${id}`)).json()) as { Text: string; HTML: string },
    async waitFor(count, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const got = await messages();
        if (got.length >= count) return got;
        if (Date.now() > deadline)
          throw new Error(`mailpit got ${got.length} messages, not ${count}, in ${timeoutMs} ms: ${got.map((m) => m.Subject).join(' | ')}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    stop,
    start,
    async close() {
      await stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
