// For tests only (never imported by the service): the whole alert processor in-process on a real port, its state in a
// fresh SQLite file per test, a local stand-in for Slack's webhook (one per test file), its log lines collected.
// Registers the vitest hooks that start and clean all of it; the tests use what it returns.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import zlib from 'node:zlib';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, expect } from 'vitest';
import { startFakeSlack, type FakeSlack } from '../../test/helpers/fake-slack';
import { createAlertProcessor, type AlertProcessor } from './alert-processor';
import { parseAlertsConfig, type AlertsConfig } from './config';

export interface ProcessorTestBed {
  readonly token: string;
  /** The Slack stand-in; its posts are cleared before each test. */
  readonly slack: FakeSlack;
  /** This test's directory (removed after it); the state file is `state.db` in it. */
  readonly dir: string;
  /** The processors' log lines in this test. */
  readonly logLines: Record<string, unknown>[];
  /** Starts a processor on this test's state file; `env` over the bed's, `overrides` over the parsed configuration. */
  start(env?: Record<string, string>, overrides?: Partial<AlertsConfig>): Promise<AlertProcessor>;
  /** One OTLP export request, protobuf, with the intake token unless `authorization` says otherwise (null: none). */
  send(
    processor: AlertProcessor,
    signal: 'logs' | 'traces',
    body: Uint8Array,
    options?: { gzip?: boolean; authorization?: string | null },
  ): Promise<Response>;
}

export function processorTestBed(options: {
  token: string;
  env?: Record<string, string>;
  logLevel?: pino.LevelWithSilent;
}): ProcessorTestBed {
  let slack: FakeSlack | undefined;
  let dir: string | undefined;
  const logLines: Record<string, unknown>[] = [];
  const running: AlertProcessor[] = [];
  const logger = () =>
    pino(
      { level: options.logLevel ?? 'debug' },
      new Writable({
        write(chunk: Buffer, _encoding, callback) {
          for (const line of chunk.toString().split('\n').filter(Boolean)) logLines.push(JSON.parse(line) as Record<string, unknown>);
          callback();
        },
      }),
    );

  beforeAll(async () => {
    slack = await startFakeSlack();
  });
  afterAll(async () => {
    await slack?.close();
  });
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drop-alert-processor-'));
    slack!.posts.length = 0;
    slack!.clearAnswers();
    logLines.length = 0;
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((processor) => processor.stop()));
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const bed: ProcessorTestBed = {
    token: options.token,
    get slack() {
      return slack!;
    },
    get dir() {
      return dir!;
    },
    logLines,
    async start(env = {}, overrides = {}) {
      const parsed = parseAlertsConfig({
        ALERTS_PORT: '0',
        ALERTS_STATE_FILE: path.join(dir!, 'state.db'),
        ALERTS_INTAKE_TOKEN: options.token,
        SLACK_WEBHOOK_URL: slack!.url,
        ...options.env,
        ...env,
      });
      expect(parsed.problems).toEqual([]);
      const processor = createAlertProcessor({ ...parsed, ...overrides }, logger());
      await processor.start();
      running.push(processor);
      return processor;
    },
    send(processor, signal, body, { gzip = false, authorization = `Bearer ${options.token}` } = {}) {
      return fetch(`${processor.url}/v1/${signal}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-protobuf',
          ...(gzip ? { 'content-encoding': 'gzip' } : {}),
          ...(authorization === null ? {} : { authorization }),
        },
        body: (gzip ? zlib.gzipSync(body) : body) as BodyInit,
      });
    },
  };
  return bed;
}
