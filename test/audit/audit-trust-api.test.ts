import crypto from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { AUDIT_CHECKPOINT_EVENT, verifyAgainstCheckpoints, verifyCheckpointSignature, type AuditCheckpoint } from '@audit';
import type { DatabaseHandle } from '../../src/server/db/connect';
import { DEMO_PASSWORD, TEST_AUDIT_SIGNING_KEY, TEST_AUTH_SECRET, type AppServer } from '../helpers/app-server';
import { runAuditScript } from '../helpers/audit-cli';
import { DIALECTS, type TestDatabase } from '../helpers/databases';
import { HttpClient } from '../helpers/http-client';
import type { OtlpLogRecord } from '@alerts';
import type { OtlpReceiver } from '../helpers/otlp-receiver';
import { useStack } from '../helpers/stack';

const EVERY = 5;

const isCheckpointRecord = (record: OtlpLogRecord) =>
  record.eventName === AUDIT_CHECKPOINT_EVENT || record.attributes['event.name'] === AUDIT_CHECKPOINT_EVENT;

describe.each(DIALECTS)('signed checkpoints and erased data over HTTP on %s', (dialect) => {
  const stack = useStack({
    dialect,
    otlp: { logs: true },
    env: {
      AUDIT_CHECKPOINT_EVERY: String(EVERY),
      // Far off, so that no time-based checkpoint joins the count-based ones this file expects.
      AUDIT_CHECKPOINT_SECONDS: '86400',
      OTEL_BLRP_SCHEDULE_DELAY: '100',
      // Checkpoints must leave the database whatever the log level (they are logged at info).
      LOG_LEVEL: 'warn',
    },
  });
  let database: TestDatabase;
  let handle: DatabaseHandle;
  let server: AppServer;
  let receiver: OtlpReceiver;
  let admin: HttpClient;
  let aliceId: string;

  beforeAll(async () => {
    ({ database, db: handle, app: server, otlp: receiver } = stack());
    admin = (await stack().signIn('admin@drop.test')).client;
    const alice = await stack().signIn('alice@drop.test');
    for (let i = 0; i < 4; i++) {
      const res = await alice.client.post(
        '/api/transfers',
        { toEmail: 'bob@drop.test', amountCents: 100 },
        { headers: { 'idempotency-key': crypto.randomUUID() } },
      );
      expect(res.status, res.text).toBe(201);
    }
    aliceId = alice.userId;
  });

  it('publishes the checkpoints and the public key to admins only; they verify and match the chain', async () => {
    expect((await new HttpClient(server.url).get('/api/admin/audit/checkpoints')).status).toBe(401);
    const alice = new HttpClient(server.url);
    await alice.login('alice@drop.test', DEMO_PASSWORD);
    expect((await alice.get('/api/admin/audit/checkpoints')).status).toBe(403);

    const res = await admin.get('/api/admin/audit/checkpoints');
    expect(res.status).toBe(200);
    const body = res.body as { keyId: string; publicKey: crypto.JsonWebKey; publicKeyPem: string; checkpoints: AuditCheckpoint[] };
    const entries = Number((await handle.db.selectFrom('audit_chain_head').select('last_id').executeTakeFirstOrThrow()).last_id);
    expect(body.checkpoints.map((c) => c.treeSize)).toEqual(Array.from({ length: Math.floor(entries / EVERY) }, (_, i) => (i + 1) * EVERY));
    expect(body.publicKey).toMatchObject({ kty: 'OKP', crv: 'Ed25519', kid: body.keyId });
    expect(body.publicKey).not.toHaveProperty('d');
    // The published key is the public half of the configured signing key.
    const expected = crypto.createPublicKey(TEST_AUDIT_SIGNING_KEY).export({ format: 'jwk' });
    expect(body.publicKey.x).toBe(expected.x);
    expect(body.publicKeyPem).toBe(crypto.createPublicKey(TEST_AUDIT_SIGNING_KEY).export({ type: 'spki', format: 'pem' }));
    for (const checkpoint of body.checkpoints) expect(verifyCheckpointSignature(checkpoint, body.publicKeyPem)).toBe(true);
    expect(await verifyAgainstCheckpoints(handle.db, body.checkpoints, [body.publicKey])).toMatchObject({
      ok: true,
      matched: body.checkpoints.length,
    });
  });

  it('emits every checkpoint as an OTLP log record and a stdout line with its event name, even at LOG_LEVEL=warn', async () => {
    const published = (await admin.get('/api/admin/audit/checkpoints')).body.checkpoints as AuditCheckpoint[];
    expect(published.length).toBeGreaterThan(0);
    await expect.poll(() => receiver.logs.filter(isCheckpointRecord).length, { timeout: 15_000 }).toBe(published.length);
    const records = receiver.logs.filter(isCheckpointRecord);
    expect(
      records.map((r) => ({
        treeSize: Number(r.attributes['audit.checkpoint.tree_size']),
        headHash: r.attributes['audit.checkpoint.head_hash'],
        timestamp: r.attributes['audit.checkpoint.timestamp'],
        keyId: r.attributes['audit.checkpoint.key_id'],
        signature: r.attributes['audit.checkpoint.signature'],
      })),
    ).toEqual(published);
    const lines = server.logRecords().filter((r) => r['event.name'] === AUDIT_CHECKPOINT_EVENT);
    expect(lines.map((r) => Number(r['audit.checkpoint.tree_size']))).toEqual(published.map((c) => c.treeSize));
    // The level really is warn: no other info line was written.
    expect(server.logRecords().filter((r) => r.level === 'info' && r['event.name'] !== AUDIT_CHECKPOINT_EVENT)).toEqual([]);
  });

  it('shows an erased user’s personal data as "erased" in the API and the export, the chain still intact', async () => {
    const before = (await admin.get(`/api/admin/audit?user_id=${aliceId}`)).body.entries as { ipAddress: string; userAgent: string }[];
    expect(before.length).toBeGreaterThan(0);
    for (const entry of before) expect(entry.ipAddress).toBe('127.0.0.1');
    const erased = await runAuditScript('audit-erase.ts', database.url, [aliceId], {
      AUTH_SECRET: TEST_AUTH_SECRET,
      AUDIT_SIGNING_KEY: TEST_AUDIT_SIGNING_KEY,
    });
    expect(erased.code, erased.stderr).toBe(0);

    const after = (await admin.get(`/api/admin/audit?user_id=${aliceId}`)).body.entries as {
      action: string;
      ipAddress: string | null;
      userAgent: string | null;
    }[];
    expect(after[0]).toMatchObject({ action: 'personal_data_erased', ipAddress: null });
    for (const entry of after.slice(1)) expect(entry).toMatchObject({ ipAddress: 'erased', userAgent: 'erased' });
    const exported = (await admin.get(`/api/admin/audit?user_id=${aliceId}&format=ndjson`)).text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { ipAddress: string | null });
    expect(exported.map((e) => e.ipAddress)).toEqual(after.map((e) => e.ipAddress));
    const bob = (await handle.db.selectFrom('users').select('id').where('email', '=', 'bob@drop.test').executeTakeFirstOrThrow()).id;
    const bobEntries = (await admin.get(`/api/admin/audit?user_id=${bob}`)).body.entries as { ipAddress: string }[];
    expect(bobEntries.every((e) => e.ipAddress === '127.0.0.1')).toBe(true);
    expect((await admin.get('/api/admin/audit/verify')).body).toMatchObject({ ok: true, pending: { count: 0, oldestAgeMs: null } });
  });
});
