import fs from 'node:fs';
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseMuteWindows } from './mute-windows';
import type { LifecycleAlert } from '../rules/rules';
import { createAlertServer } from '../intake/server';
import { createSilencesApi } from './silences-api';
import { Silencer } from './silencer';
import { openMigratedStore, type AlertStore } from '../store/database';
import { SilenceStore } from '../store/silence-store';

// The silences API on the processor's real HTTP server, with a real SQLite state file.
const TOKEN = 'test-token-0123456789abcdef';
const MUTE_WINDOW = '* 00:00-24:00 UTC service.name=drop-batch';
let dir: string;
let store: SilenceStore;
let alertStore: AlertStore;
let silencer: Silencer;
const servers: http.Server[] = [];
let base: string;
let disabledBase: string;
const logLines: Record<string, unknown>[] = [];

const logger = () =>
  pino(
    { level: 'debug' },
    new Writable({
      write(chunk: Buffer, _encoding, callback) {
        for (const line of chunk.toString().split('\n').filter(Boolean)) logLines.push(JSON.parse(line) as Record<string, unknown>);
        callback();
      },
    }),
  );

async function listen(token: string | undefined): Promise<string> {
  const { server } = createAlertServer({
    maxBodyBytes: 64 * 1024,
    logger: logger(),
    intakeToken: 'intake-token-0123456789',
    intake: { logs: async () => undefined, spans: async () => undefined },
    silencesApi: createSilencesApi({ token, store, silencer, logger: logger() }),
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drop-silences-api-'));
  alertStore = await openMigratedStore({ file: path.join(dir, 'state.db') });
  store = new SilenceStore(alertStore.db);
  // Always active but matching no alert these tests build, so the results do not depend on the day they run on.
  silencer = new Silencer(store, parseMuteWindows(MUTE_WINDOW).windows);
  base = await listen(TOKEN);
  disabledBase = await listen(undefined);
});

afterAll(async () => {
  for (const server of servers) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
  await store.close();
  await alertStore.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const auth = { authorization: `Bearer ${TOKEN}` };
const json = { ...auth, 'content-type': 'application/json' };
type ErrorBody = { error: { code: string; message: string; issues?: { path: string; message: string }[] } };
type SilenceBody = {
  silence: { id: string; state: string; startsAt: string; endsAt: string; silenced: number; matchers: unknown[]; createdBy: string | null };
};

const call = async (method: string, url: string, headers: Record<string, string> = auth, body?: string) => {
  const response = await fetch(url, { method, headers, body });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: (text ? JSON.parse(text) : undefined) as unknown };
};
const post = (body: unknown, headers: Record<string, string> = json) =>
  call('POST', `${base}/api/silences`, headers, typeof body === 'string' ? body : JSON.stringify(body));

const valid = {
  matchers: [
    { name: 'service.name', value: 'drop' },
    { name: 'alert.type', value: 'app.started' },
  ],
  durationMinutes: 60,
  comment: 'deploy',
  createdBy: 'ops@example.com',
};

const started = (service = 'drop'): LifecycleAlert => ({
  type: 'app.started',
  service,
  atMs: 0,
  event: { kind: 'lifecycle', event: 'app.started', service, timeMs: 0 },
});

describe('silences API: access', () => {
  it('without ALERTS_API_TOKEN it is off: 403 saying how to turn it on, whatever the request', async () => {
    for (const [method, url] of [
      ['GET', '/api/silences'],
      ['POST', '/api/silences'],
      ['DELETE', '/api/silences/x'],
    ] as const) {
      const response = await call(method, `${disabledBase}${url}`, json, method === 'POST' ? JSON.stringify(valid) : undefined);
      expect(response.status).toBe(403);
      expect((response.body as ErrorBody).error).toEqual({
        code: 'silences_api_disabled',
        message: 'the silences API is disabled: set ALERTS_API_TOKEN on the alert processor to enable it',
      });
    }
  });

  it('no token, a wrong one (any length), another scheme: 401 with WWW-Authenticate, and nothing created', async () => {
    const before = await store.countUnexpired(Date.now());
    for (const headers of [
      {} as Record<string, string>,
      { authorization: `Bearer ${TOKEN.slice(0, -1)}x` },
      { authorization: 'Bearer x' },
      { authorization: `Basic ${TOKEN}` },
    ]) {
      const response = await post(valid, { 'content-type': 'application/json', ...headers });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer realm="alert-processor"');
      expect((response.body as ErrorBody).error.code).toBe('unauthenticated');
    }
    expect(await store.countUnexpired(Date.now())).toBe(before);
    expect(JSON.stringify(logLines)).not.toContain(TOKEN.slice(0, -1));
  });
});

describe('silences API: create, list, read, end', () => {
  it('POST → 201 with the silence; GET lists it; GET :id reads it; DELETE ends it, which stays listed with ?state=all', async () => {
    const before = Date.now();
    const created = await post(valid);
    expect(created.status).toBe(201);
    const { silence } = created.body as SilenceBody;
    expect(created.headers.get('location')).toBe(`/api/silences/${silence.id}`);
    expect(silence).toMatchObject({ state: 'active', matchers: valid.matchers, createdBy: 'ops@example.com', silenced: 0 });
    const length = Date.parse(silence.endsAt) - Date.parse(silence.startsAt);
    expect(length).toBe(3_600_000);
    expect(Date.parse(silence.startsAt)).toBeGreaterThanOrEqual(before - 1);
    expect(logLines.find((l) => l.msg === 'silence created')).toMatchObject({ silence_id: silence.id, created_by: 'ops@example.com' });

    // The silencer uses it, and counts what it holds back.
    expect(await silencer.mutedBy(started('drop'), Date.now())).toMatchObject({ kind: 'silence', id: silence.id });
    expect(await silencer.mutedBy(started('drop-worker'), Date.now())).toBeUndefined();

    const list = await call('GET', `${base}/api/silences`);
    expect(list.status).toBe(200);
    const listed = list.body as { silences: SilenceBody['silence'][]; muteWindows: unknown[] };
    expect(listed.silences.find((s) => s.id === silence.id)).toMatchObject({ state: 'active', silenced: 1 });
    expect(listed.muteWindows).toEqual([{ spec: MUTE_WINDOW, active: true, silenced: 0 }]);

    const one = await call('GET', `${base}/api/silences/${silence.id}`);
    expect((one.body as SilenceBody).silence).toMatchObject({ id: silence.id, silenced: 1 });

    const ended = await call('DELETE', `${base}/api/silences/${silence.id}`);
    expect(ended.status).toBe(200);
    expect((ended.body as SilenceBody).silence.state).toBe('expired');
    expect(await silencer.mutedBy(started('drop'), Date.now())).toBeUndefined();
    const current = (await call('GET', `${base}/api/silences`)).body as { silences: { id: string }[] };
    expect(current.silences.map((s) => s.id)).not.toContain(silence.id);
    const all = (await call('GET', `${base}/api/silences?state=all`)).body as { silences: { id: string; state: string }[] };
    expect(all.silences.find((s) => s.id === silence.id)?.state).toBe('expired');
    // Ending it again changes nothing.
    expect((await call('DELETE', `${base}/api/silences/${silence.id}`)).status).toBe(200);
  });

  it('a silence starting later is pending and mutes nothing until it starts; endsAt instead of a duration', async () => {
    const startsAt = new Date(Date.now() + 3_600_000).toISOString();
    const endsAt = new Date(Date.now() + 7_200_000).toISOString();
    const created = await post({ matchers: [{ name: 'service.name', value: 'drop-later' }], startsAt, endsAt, comment: 'maintenance' });
    expect(created.status).toBe(201);
    const { silence } = created.body as SilenceBody;
    expect(silence).toMatchObject({ state: 'pending', startsAt, endsAt });
    expect(await silencer.mutedBy(started('drop-later'), Date.now())).toBeUndefined();
    expect(await silencer.mutedBy(started('drop-later'), Date.now() + 3_700_000)).toMatchObject({ id: silence.id });
  });
});

describe('silences API: bad requests are 4xx with the error shape, never 500', () => {
  it('validation failures name the field', async () => {
    const cases: [unknown, RegExp][] = [
      [{ ...valid, comment: undefined }, /^comment: /],
      [{ ...valid, comment: '   ' }, /comment: say why/],
      [{ ...valid, endsAt: new Date(Date.now() + 60_000).toISOString() }, /endsAt: give exactly one of endsAt and durationMinutes/],
      [{ ...valid, durationMinutes: undefined }, /endsAt: give exactly one/],
      [{ ...valid, matchers: [] }, /matchers: give at least one matcher/],
      [
        { ...valid, matchers: [{ name: 'color', value: 'red' }] },
        /matchers\.0\.name: name must be one of alert\.type, alert\.severity, service\.name/,
      ],
      [{ ...valid, matchers: [{ name: 'alert.type', value: 'everything' }] }, /matchers\.0\.value: alert\.type is one of app\.started/],
      [{ ...valid, matchers: [{ name: 'alert.severity', value: 'loud' }] }, /matchers\.0\.value: alert\.severity is one of info/],
      [{ ...valid, matchers: [{ name: 'alert.type', value: 'error_spike_resolved' }] }, /resolutions are never muted/],
      [
        { ...valid, matchers: [{ name: 'alert.severity', value: 'resolved' }] },
        /alert\.severity is one of info, warning, critical \(resolutions/,
      ],
      [{ ...valid, matchers: [{ name: 'service.name', value: 'drop', op: 'regex' }] }, /matchers\.0: /],
      [{ ...valid, durationMinutes: -5 }, /durationMinutes/],
      [{ ...valid, durationMinutes: 1.5 }, /durationMinutes/],
      [{ ...valid, durationMinutes: 200 * 24 * 60 }, /durationMinutes/],
      [{ ...valid, durationMinutes: undefined, endsAt: 'tomorrow' }, /endsAt/],
      [{ ...valid, owner: 'me' }, /owner/],
      [null, /expected object/i],
      [[], /expected object/i],
      ['"text"', /expected object/i],
      [5, /expected object/i],
    ];
    for (const [body, message] of cases) {
      const response = await post(body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      const error = (response.body as ErrorBody).error;
      expect(error.code).toBe('invalid_request');
      expect(error.message, JSON.stringify(body)).toMatch(message);
      expect(error.issues?.length).toBeGreaterThan(0);
    }
  });

  it('an end in the past, or a silence longer than 90 days', async () => {
    const past = await post({ ...valid, durationMinutes: undefined, endsAt: new Date(Date.now() - 60_000).toISOString() });
    expect(past.status).toBe(400);
    expect((past.body as ErrorBody).error.message).toBe('endsAt must be after startsAt and in the future');
    const long = await post({ ...valid, durationMinutes: undefined, endsAt: new Date(Date.now() + 91 * 86_400_000).toISOString() });
    expect((long.body as ErrorBody).error.message).toBe('a silence lasts at most 90 days');
  });

  it('broken JSON 400, another content type 415, a body over 16 KiB 413, unknown ids 404, other methods 405', async () => {
    const broken = await post('{"matchers": [');
    expect([broken.status, (broken.body as ErrorBody).error.code]).toEqual([400, 'invalid_json']);
    const form = await post('a=b', { ...auth, 'content-type': 'application/x-www-form-urlencoded' });
    expect([form.status, (form.body as ErrorBody).error.code]).toEqual([415, 'unsupported_media_type']);
    const huge = await post({ ...valid, comment: 'x'.repeat(20_000) });
    expect([huge.status, (huge.body as ErrorBody).error.code]).toEqual([413, 'payload_too_large']);
    for (const id of ['00000000-0000-4000-8000-000000000000', 'nope', '%E0%A4%A']) {
      const missing = await call('GET', `${base}/api/silences/${id}`);
      expect([missing.status, (missing.body as ErrorBody).error.code], id).toEqual([404, 'not_found']);
    }
    expect((await call('DELETE', `${base}/api/silences/00000000-0000-4000-8000-000000000000`)).status).toBe(404);
    const put = await call('PUT', `${base}/api/silences`);
    expect([put.status, put.headers.get('allow')]).toEqual([405, 'GET, POST']);
    expect((await call('POST', `${base}/api/silences/00000000-0000-4000-8000-000000000000`)).status).toBe(405);
    const state = await call('GET', `${base}/api/silences?state=old`);
    expect([state.status, (state.body as ErrorBody).error.code]).toEqual([400, 'invalid_request']);
  });
});
