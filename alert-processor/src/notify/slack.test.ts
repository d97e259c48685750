import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { freePort } from '../../../test/helpers/app-server';
import { startFakeSlack, type FakeSlack } from '../../../test/helpers/fake-slack';
import { retryAfterMs, SlackClient, type SlackClientOptions } from './slack';

// The client against a real local HTTP server standing in for Slack's webhook.
const message = { text: '🚨 CRITICAL: drop: error spike', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'x' } }] };

let slack: FakeSlack;
let logLines: Record<string, unknown>[];

function logger() {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) logLines.push(JSON.parse(line) as Record<string, unknown>);
      callback();
    },
  });
  return pino({ level: 'debug' }, sink);
}

const client = (options: Partial<SlackClientOptions> = {}) =>
  new SlackClient({ webhookUrl: slack.url, logger: logger(), baseBackoffMs: 20, timeoutMs: 2_000, ...options });

beforeAll(async () => {
  slack = await startFakeSlack();
});

afterAll(async () => {
  await slack?.close();
});

beforeEach(() => {
  slack.posts.length = 0;
  logLines = [];
});

describe('SlackClient', () => {
  it('sends at most one message a second to the webhook (token bucket)', async () => {
    const shared = client();
    // A first post opens the keep-alive connection: its set-up time would shorten the first gap measured.
    await shared.send(message);
    slack.posts.length = 0;
    await Promise.all([shared.send(message), shared.send(message), shared.send(message)]);
    const times = slack.posts.map((p) => p.receivedAt).sort((a, b) => a - b);
    expect(times).toHaveLength(3);
    // Paced, the posts leave a second apart; unpaced, all three would arrive within a few ms. The margin absorbs
    // how late the receiving side may see one of them on a loaded machine.
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(700);
    expect(times[2]! - times[1]!).toBeGreaterThanOrEqual(700);
    expect(times[2]! - times[0]!).toBeGreaterThanOrEqual(1_700);
  });

  it("a 429's Retry-After holds back the other messages too", async () => {
    slack.answerNext({ status: 429, headers: { 'retry-after': '2' }, body: 'rate_limited' });
    const shared = client();
    const first = shared.send(message);
    await slack.waitFor(() => slack.posts.length === 1);
    await shared.send(message);
    await first;
    expect(slack.posts.map((p) => p.status)).toEqual([429, 200, 200]);
    expect(slack.posts[1]!.receivedAt - slack.posts[0]!.receivedAt).toBeGreaterThanOrEqual(1_950);
  });

  it('posts the message as JSON and is done on 200', async () => {
    expect(await client().send(message)).toEqual({ status: 'delivered', attempts: 1, skipped: false });
    expect(slack.posts).toHaveLength(1);
    expect(slack.posts[0]?.headers['content-type']).toMatch(/^application\/json/);
    expect(slack.posts[0]?.body).toEqual(message);
  });

  it('429: waits for Retry-After, then sends exactly once more', async () => {
    slack.answerNext({ status: 429, headers: { 'retry-after': '1' }, body: 'rate_limited' });
    const started = Date.now();
    expect(await client().send(message)).toEqual({ status: 'delivered', attempts: 2, skipped: false });
    expect(slack.posts.map((p) => p.status)).toEqual([429, 200]);
    expect(slack.posts[1]!.receivedAt - slack.posts[0]!.receivedAt).toBeGreaterThanOrEqual(1_000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
  });

  it('429 twice: gives up after the one retry', async () => {
    slack.answerNext({ status: 429, headers: { 'retry-after': '0' } }, { status: 429, headers: { 'retry-after': '0' } });
    const result = await client().send(message);
    expect(result).toMatchObject({ status: 'retry', attempts: 2 });
    expect(slack.posts).toHaveLength(2);
  });

  it('429 with a Retry-After longer than allowed: fails without waiting', async () => {
    slack.answerNext({ status: 429, headers: { 'retry-after': '3600' } });
    const started = Date.now();
    const result = await client({ maxRetryAfterMs: 5_000 }).send(message);
    expect(result).toMatchObject({ status: 'retry', attempts: 1 });
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('5xx: retries with backoff and succeeds', async () => {
    slack.answerNext({ status: 500 }, { status: 503 });
    expect(await client().send(message)).toEqual({ status: 'delivered', attempts: 3, skipped: false });
    expect(slack.posts.map((p) => p.status)).toEqual([500, 503, 200]);
    // Exponential: the second wait is longer than the first (20 ms, then 40 ms, ±20 %).
    const gaps = [slack.posts[1]!.receivedAt - slack.posts[0]!.receivedAt, slack.posts[2]!.receivedAt - slack.posts[1]!.receivedAt];
    expect(gaps[0]).toBeGreaterThanOrEqual(15);
    expect(gaps[1]).toBeGreaterThanOrEqual(30);
  });

  it('5xx every time: gives up after maxAttempts', async () => {
    slack.answerNext({ status: 502 }, { status: 502 }, { status: 502 });
    const result = await client({ maxAttempts: 3 }).send(message);
    expect(result).toEqual({ status: 'retry', attempts: 3, reason: 'Slack answered 502 bad_gateway (after 3 attempts)' });
    expect(slack.posts.map((p) => p.status)).toEqual([502, 502, 502]);
  });

  it('4xx other than 429: fails at once, Slack’s reason kept', async () => {
    slack.answerNext({ status: 400, body: 'invalid_payload' });
    expect(await client().send(message)).toEqual({
      status: 'give_up',
      attempts: 1,
      reason: 'Slack answered 400 invalid_payload',
    });
    expect(slack.posts).toHaveLength(1);
  });

  it('network errors are retried, bounded', async () => {
    const closed = `http://127.0.0.1:${await freePort()}/services/x`;
    const result = await client({ webhookUrl: closed, maxAttempts: 2 }).send(message);
    expect(result).toMatchObject({ status: 'retry', attempts: 2 });
    expect(result.status === 'retry' && result.reason).toMatch(/ECONNREFUSED/);
  });

  it('a Slack that does not answer in time counts as a retryable failure', async () => {
    slack.answerNext({ status: 200, delayMs: 1_500 });
    expect(await client({ timeoutMs: 300 }).send(message)).toEqual({ status: 'delivered', attempts: 2, skipped: false });
  });

  it('no webhook: sends nothing, logs the message at debug level', async () => {
    expect(await client({ webhookUrl: undefined }).send(message)).toEqual({ status: 'delivered', attempts: 0, skipped: true });
    expect(slack.posts).toEqual([]);
    expect(logLines).toMatchObject([{ level: 20, slack: message }]);
  });

  it('never logs the webhook URL (its path is the credential)', async () => {
    slack.answerNext({ status: 500 }, { status: 429, headers: { 'retry-after': '0' } });
    await client().send(message);
    expect(logLines.length).toBeGreaterThan(0);
    expect(JSON.stringify(logLines)).not.toContain('fake-webhook-secret');
  });
});

describe('retryAfterMs', () => {
  it('reads seconds and HTTP dates', () => {
    const now = Date.parse('2026-03-01T00:00:00Z');
    expect(retryAfterMs('2', now)).toBe(2_000);
    expect(retryAfterMs('Sun, 01 Mar 2026 00:00:05 GMT', now)).toBe(5_000);
    expect(retryAfterMs('soon', now)).toBeUndefined();
    expect(retryAfterMs(null, now)).toBeUndefined();
  });
});
