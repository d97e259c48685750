import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AUDIT_CHECKPOINT_EVENT,
  auditSigner,
  checkpointText,
  generateAuditSigningKeyPem,
  linkAuditEntries,
  type AuditCheckpoint,
} from '@audit';
import type { DatabaseHandle } from '../../src/server/db/connect';
import { TEST_AUDIT_SIGNING_KEY } from '../helpers/app-server';
import { appendCheckpointedEntries, publishCheckpoints, type PublishedCheckpoints } from '../helpers/audit-checkpoints';
import { runAuditScript } from '../helpers/audit-cli';
import { asDatabaseOwner } from '../helpers/audit-owner';
import { DIALECTS, createTestDatabase, openTestDatabase, type TestDatabase } from '../helpers/databases';

const signer = auditSigner(TEST_AUDIT_SIGNING_KEY);
const verify = (url: string, args: string[]) => runAuditScript('audit-verify.ts', url, args);

describe.each(DIALECTS)('npm run audit:verify -- --checkpoints on %s', (dialect) => {
  let database: TestDatabase;
  let handle: DatabaseHandle;
  let published: PublishedCheckpoints;
  let dir: string;
  let file: string;
  let url: string;

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    handle = await openTestDatabase(database);
    await appendCheckpointedEntries(handle, { count: 30, everyEntries: 10, signer });
    published = await publishCheckpoints(handle, signer);
    ({ dir, file } = published);
    url = await published.serve();
  });
  afterAll(async () => {
    await published?.close();
    await handle?.close();
    await database?.drop();
  });

  // Two tsx processes on a loaded machine: more than the default 30 s is possible.
  it('exits 0 when the chain matches every checkpoint, from a file and from a URL', { timeout: 120_000 }, async () => {
    const fromFile = await verify(database.url, ['--checkpoints', file]);
    expect(fromFile.code, fromFile.stderr).toBe(0);
    expect(fromFile.stdout).toMatch(/^audit chain intact: 30 entries/);
    expect(fromFile.stdout).toMatch(/checkpoints match: 3 of 3 signed checkpoints, newest #30/);
    const fromUrl = await verify(database.url, ['--checkpoints', url, '--json']);
    expect(fromUrl.code, fromUrl.stderr).toBe(0);
    expect(JSON.parse(fromUrl.stdout)).toMatchObject({ ok: true, checkpoints: { ok: true, matched: 3, newestMatched: 30 } });
  });

  // A busy machine: every statement is slower than DB_SLOW_QUERY_MS, so each is logged. The log goes to stderr; stdout
  // stays one JSON document a program can parse.
  it('--json prints only its JSON on stdout while every statement is logged as slow', { timeout: 120_000 }, async () => {
    const run = await runAuditScript('audit-verify.ts', database.url, ['--checkpoints', url, '--json'], {
      DB_SLOW_QUERY_MS: '0',
      LOG_LEVEL: 'info',
    });
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toBe('');
    expect(JSON.parse(lines[0]!)).toMatchObject({ ok: true, checkpoints: { ok: true, matched: 3 } });
    const slowLines = run.stderr.split('\n').filter((line) => line.includes('"db.slow_query"'));
    expect(slowLines.length).toBeGreaterThan(0);
  });

  const pem = (name: string, text: string) => {
    const location = path.join(dir, name);
    fs.writeFileSync(location, text);
    return location;
  };
  const publishedCheckpoints = () => (JSON.parse(fs.readFileSync(file, 'utf8')) as { checkpoints: AuditCheckpoint[] }).checkpoints;
  const asPinoLine = (c: AuditCheckpoint) =>
    JSON.stringify({
      level: 'info',
      'event.name': AUDIT_CHECKPOINT_EVENT,
      'audit.checkpoint.tree_size': c.treeSize,
      'audit.checkpoint.head_hash': c.headHash,
      'audit.checkpoint.timestamp': c.timestamp,
      'audit.checkpoint.key_id': c.keyId,
      'audit.checkpoint.signature': c.signature,
      msg: `audit.checkpoint: ${c.treeSize} entries`,
    });

  it('reads the app’s log lines: several, and a file of one line', { timeout: 120_000 }, async () => {
    const publicKey = pem('public.pem', signer.publicPem);
    const lines = pem('lines.ndjson', `${publishedCheckpoints().map(asPinoLine).join('\n')}\n{"level":"info","msg":"not a checkpoint"}\n`);
    const several = await verify(database.url, ['--checkpoints', lines, '--public-key', publicKey]);
    expect(several.code, several.stderr).toBe(0);
    expect(several.stdout).toMatch(/checkpoints match: 3 of 3 signed checkpoints, newest #30/);
    const one = pem('one.ndjson', `${asPinoLine(publishedCheckpoints()[1]!)}\n`);
    const single = await verify(database.url, ['--checkpoints', one, '--public-key', publicKey]);
    expect(single.code, single.stderr).toBe(0);
    expect(single.stdout).toMatch(/checkpoints match: 1 of 1 signed checkpoints, newest #20/);
  });

  it('reads the collector’s OTLP/JSON file export (nested attributes, int64 as strings)', { timeout: 60_000 }, async () => {
    const attribute = (key: string, value: string | number) => ({
      key,
      value: typeof value === 'number' ? { intValue: String(value) } : { stringValue: value },
    });
    const exportLine = (checkpoints: AuditCheckpoint[]) =>
      JSON.stringify({
        resourceLogs: [
          {
            resource: { attributes: [attribute('service.name', 'drop')] },
            scopeLogs: [
              {
                scope: { name: 'drop-pino' },
                logRecords: [
                  { body: { stringValue: 'GET / 200' }, attributes: [attribute('event.name', 'http.access')] },
                  ...checkpoints.map((c) => ({
                    body: { stringValue: `audit.checkpoint: ${c.treeSize} entries` },
                    attributes: [
                      attribute('event.name', AUDIT_CHECKPOINT_EVENT),
                      attribute('audit.checkpoint.tree_size', c.treeSize),
                      attribute('audit.checkpoint.head_hash', c.headHash),
                      attribute('audit.checkpoint.timestamp', c.timestamp),
                      attribute('audit.checkpoint.key_id', c.keyId),
                      attribute('audit.checkpoint.signature', c.signature),
                    ],
                  })),
                ],
              },
            ],
          },
        ],
      });
    const [first, ...rest] = publishedCheckpoints();
    const exported = pem('otlp.json', `${exportLine([first!])}\n${exportLine(rest)}\n`);
    const result = await verify(database.url, ['--checkpoints', exported, '--public-key', pem('public.pem', signer.publicPem)]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/checkpoints match: 3 of 3 signed checkpoints, newest #30/);
  });

  it('refuses an empty set of checkpoints (exit 2), with or without a pinned key', { timeout: 60_000 }, async () => {
    const empty = pem('empty.json', JSON.stringify({ publicKey: signer.publicJwk, checkpoints: [] }));
    const refused = await verify(database.url, ['--checkpoints', empty, '--public-key', pem('public.pem', signer.publicPem)]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/holds no checkpoints/);
    const noLines = await verify(database.url, ['--checkpoints', pem('none.ndjson', '{"level":"info","msg":"hello"}\n')]);
    expect(noLines.code).toBe(2);
    expect(noLines.stderr).toMatch(/holds no checkpoints/);
  });

  it('trusts every --public-key given (key rotation): checkpoints of two keys verify with both', { timeout: 120_000 }, async () => {
    const next = auditSigner(generateAuditSigningKeyPem());
    const [first, second, third] = publishedCheckpoints();
    const reSigned = [first!, second!, third!].map((c, i) =>
      i === 0 ? c : { ...c, keyId: next.keyId, signature: next.sign(checkpointText(c.treeSize, c.headHash, Date.parse(c.timestamp))) },
    );
    const mixed = pem('rotated.ndjson', `${reSigned.map((c) => JSON.stringify(c)).join('\n')}\n`);
    const oldKey = pem('old.pem', signer.publicPem);
    const newKey = pem('new.pem', next.publicPem);
    const onlyOld = await verify(database.url, ['--checkpoints', mixed, '--public-key', oldKey]);
    expect(onlyOld.code).toBe(1);
    expect(onlyOld.stdout).toMatch(/checkpoints DO NOT MATCH at checkpoint 20: .* \(unknown_key\)/);
    const both = await verify(database.url, ['--checkpoints', mixed, '--public-key', oldKey, '--public-key', newKey]);
    expect(both.code, both.stderr).toBe(0);
    expect(both.stdout).toMatch(/checkpoints match: 3 of 3 signed checkpoints, newest #30/);
  });

  it('exits 1 when a key other than the pinned one signed them', async () => {
    const other = path.join(dir, 'other.pem');
    fs.writeFileSync(other, auditSigner(generateAuditSigningKeyPem()).publicPem);
    const { code, stdout } = await verify(database.url, ['--checkpoints', file, '--public-key', other]);
    expect(code).toBe(1);
    expect(stdout).toMatch(/checkpoints DO NOT MATCH at checkpoint 10: .* \(unknown_key\)/);
  });

  // Runs the verify CLI (a tsx process) twice: on a loaded machine that alone can take most of the default 30 s.
  it('detects a chain rewritten consistently by someone with write access to the database', async () => {
    await asDatabaseOwner(handle, async (db) => {
      const stored = await db.selectFrom('audit_log').selectAll().where('id', '>=', 12).orderBy('id').execute();
      const prev = (await db.selectFrom('audit_log').select('hash').where('id', '=', 11).executeTakeFirstOrThrow()).hash;
      const rows = linkAuditEntries(
        prev,
        stored.map((row) => ({ ...row, user_id: row.id === 12 ? 'mallory' : row.user_id })),
      );
      for (const row of rows) {
        await db
          .updateTable('audit_log')
          .set({ user_id: row.user_id, prev_hash: row.prev_hash, hash: row.hash })
          .where('id', '=', row.id)
          .execute();
      }
      await db
        .updateTable('audit_chain_head')
        .set({ last_hash: rows.at(-1)!.hash })
        .where('id', '=', 1)
        .execute();
    });
    // The chain alone tells: the rewritten entries keep MACs made for their old hashes, and a new one needs the key.
    const alone = await verify(database.url, []);
    expect(alone.code).toBe(1);
    expect(alone.stdout).toMatch(/^audit chain BROKEN at entry 12: entry 12 has a MAC that does not match.*\(unauthenticated\)/);
    // …and so do the checkpoints held elsewhere.
    const fromFile = await verify(database.url, ['--checkpoints', file]);
    expect(fromFile.code).toBe(1);
    expect(fromFile.stdout).toMatch(/^audit chain BROKEN at entry 12/);
    expect(fromFile.stdout).toMatch(
      /checkpoints DO NOT MATCH at checkpoint 20: entry 20 does not have the hash its checkpoint of .* states: the chain was rewritten \(hash_mismatch\); 1 checkpoints before it match/,
    );
    const fromUrl = await verify(database.url, ['--checkpoints', url, '--json']);
    expect(fromUrl.code).toBe(1);
    expect(JSON.parse(fromUrl.stdout)).toMatchObject({
      ok: false,
      entries: 11,
      firstBroken: { id: 12, reason: 'unauthenticated' },
      checkpoints: { ok: false, newestMatched: 10, firstMismatch: { treeSize: 20, reason: 'hash_mismatch' } },
    });
  }, 120000);

  it('exits 2 when the checkpoints cannot be read', async () => {
    const missing = await verify(database.url, ['--checkpoints', path.join(dir, 'nope.json')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/could not check the chain/);
  });
});

describe('npm run audit:public-key', () => {
  it('prints the key id, PEM and JWK of the configured signing key, which verify its checkpoints', { timeout: 60_000 }, async () => {
    const text = await runAuditScript('audit-public-key.ts', 'file::memory:', [], { AUDIT_SIGNING_KEY: TEST_AUDIT_SIGNING_KEY });
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain(`key id: ${signer.keyId}`);
    expect(text.stdout).toContain(signer.publicPem.trimEnd());
    const json = await runAuditScript('audit-public-key.ts', 'file::memory:', ['--json'], { AUDIT_SIGNING_KEY: TEST_AUDIT_SIGNING_KEY });
    expect(json.code, json.stderr).toBe(0);
    const printed = JSON.parse(json.stdout) as { keyId: string; publicKeyPem: string; publicKey: Record<string, unknown> };
    expect(printed).toEqual({ keyId: signer.keyId, publicKeyPem: signer.publicPem, publicKey: signer.publicJwk });
    expect(printed.publicKey).not.toHaveProperty('d');
  });

  it('exits 2 with a message when the key is not usable', { timeout: 60_000 }, async () => {
    const result = await runAuditScript('audit-public-key.ts', 'file::memory:', [], { AUDIT_SIGNING_KEY: 'not a key' });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /audit:public-key could not read the signing key: the audit signing key in AUDIT_SIGNING_KEY is not usable/,
    );
  });
});
