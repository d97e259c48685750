import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One POST the fake webhook received. */
export interface SlackPost {
  receivedAt: number;
  path: string;
  headers: http.IncomingHttpHeaders;
  /** The JSON body, parsed (undefined when it was not JSON). */
  body: { text?: string; blocks?: Record<string, unknown>[] } | undefined;
  raw: string;
  /** The status this post was answered with. */
  status: number;
}

export interface ScriptedAnswer {
  status: number;
  headers?: Record<string, string>;
  body?: string;
  /** Hold the answer this long (to make the client time out). */
  delayMs?: number;
}

/**
 * A Slack incoming webhook stand-in: a real HTTP server on 127.0.0.1 that records every post. By default it
 * answers 200 "ok" like Slack; a scripted answer without a body gets Slack's plain-text one for its status
 * (`internal_error`, `service_unavailable`, `rate_limited`, …); `answerNext` queues other answers (429 with Retry-After, 500, 400 …) for the
 * next posts, in order. `posts` holds every request, also those answered with an error; `delivered` only those
 * answered 200.
 */
export interface FakeSlack {
  /** The webhook URL, e.g. http://127.0.0.1:41234/services/T000/B000/secret */
  url: string;
  posts: SlackPost[];
  delivered(): SlackPost[];
  answerNext(...answers: ScriptedAnswer[]): void;
  /** Forgets the answers still queued: back to 200 "ok". */
  clearAnswers(): void;
  waitFor<T>(probe: () => T | undefined | false, timeoutMs?: number, what?: string): Promise<T>;
  close(): Promise<void>;
}

/** What Slack's webhooks answer in the body when a scripted answer gives none (plain text, as Slack does). */
function slackBody(status: number): string {
  if (status === 200) return 'ok';
  if (status === 429) return 'rate_limited';
  if (status === 500) return 'internal_error';
  if (status === 503) return 'service_unavailable';
  if (status >= 500) return 'bad_gateway';
  return 'invalid_payload';
}

export const WEBHOOK_PATH = '/services/T0DROP/B0ALERTS/fake-webhook-secret';

export async function startFakeSlack(): Promise<FakeSlack> {
  const posts: SlackPost[] = [];
  const script: ScriptedAnswer[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: SlackPost['body'];
      try {
        body = JSON.parse(raw) as SlackPost['body'];
      } catch {
        body = undefined;
      }
      const wrongPlace = req.method !== 'POST' || req.url !== WEBHOOK_PATH;
      const answer: ScriptedAnswer = wrongPlace ? { status: 404, body: 'no_service' } : (script.shift() ?? { status: 200, body: 'ok' });
      posts.push({ receivedAt: Date.now(), path: req.url ?? '', headers: req.headers, body, raw, status: answer.status });
      const respond = () =>
        res.writeHead(answer.status, { 'content-type': 'text/plain', ...answer.headers }).end(answer.body ?? slackBody(answer.status));
      if (answer.delayMs) setTimeout(respond, answer.delayMs);
      else respond();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${WEBHOOK_PATH}`,
    posts,
    delivered: () => posts.filter((post) => post.status === 200),
    answerNext: (...answers) => script.push(...answers),
    clearAnswers: () => void script.splice(0),
    async waitFor(probe, timeoutMs = 15_000, what = 'Slack posts') {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const value = probe();
        if (value) return value;
        if (Date.now() > deadline) {
          const seen = posts.map((p) => `${p.status} ${p.body?.text?.split('\n')[0] ?? p.raw.slice(0, 80)}`).join('\n  ');
          throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; posts so far:\n  ${seen || '(none)'}`);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
