import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { variants, type VariantName } from '../../bench/overhead-variants';
import { startApp } from '../helpers/app-server';
import { createTestDatabase, type TestDatabase } from '../helpers/databases';
import { DB_TRACER, healthLoginTransfer, type RequestRecords } from '../helpers/request-records';
import { useStack } from '../helpers/stack';

const root = path.resolve(import.meta.dirname, '../..');

/** A variant's environment as bench:overhead starts it, its OTLP endpoint left to the stack's receiver. */
function benchEnv(name: VariantName): Record<string, string> {
  const { OTEL_EXPORTER_OTLP_ENDPOINT: _endpoint, ...env } = variants({})[name].env({ sinkUrl: 'http://127.0.0.1:9', served: name, root });
  return env;
}

type Exported = { health: RequestRecords; login: RequestRecords; transfer: RequestRecords };
const exported = new Map<VariantName, Exported>();

// What each variant of the bench exports for one health check, one login and one transfer, decoded: the rows of
// docs/PERFORMANCE.md's "Drop vs peers" table.
describe.each(['full', 'vercel-otel', 'node-sdk-auto'] as const)('bench:overhead variant %s', (name) => {
  const stack = useStack({ otlp: true, env: benchEnv(name) });

  it('exports spans of every request, and what the variant records', async () => {
    const { app, otlp } = stack();
    const records = await healthLoginTransfer(app.url, otlp);
    exported.set(name, records);
    expect(otlp.rejected).toEqual([]);
    for (const request of Object.values(records)) expect(request.spans.length).toBeGreaterThan(0);
    // Audit events ride on whichever span is active: every variant has them on login and transfer.
    expect(records.login.auditEvents).toContain('audit.login_success');
    expect(records.transfer.auditEvents).toContain('audit.transfer_initiated');
    // The span counts of docs/PERFORMANCE.md's table: the full layer records the request and handler spans (and
    // the transaction's), a peer all of Next's spans, its plumbing included.
    const perRequest = (r: RequestRecords) => r.spans.length - r.statementSpans.length;
    // node-sdk-auto, started before Next (node --import), also has the http instrumentation's server span.
    const expected =
      name === 'full'
        ? { health: 2, login: 3, transfer: 3 }
        : name === 'vercel-otel'
          ? { health: 6, login: 7, transfer: 7 }
          : { health: 7, login: 8, transfer: 8 };
    expect({ health: perRequest(records.health), login: perRequest(records.login), transfer: perRequest(records.transfer) }).toEqual(
      expected,
    );
    // One OTLP record per request (its access line) where the variant exports logs.
    if (name !== 'vercel-otel') for (const request of Object.values(records)) expect(request.logs).toHaveLength(1);
    if (name === 'full') {
      // DB: the transfer's transaction span with its statement count; OTLP logs of every request.
      expect(records.transfer.transactions).toHaveLength(1);
      expect(Number(records.transfer.transactions[0]!.attributes['drop.db.statement.count'])).toBeGreaterThan(0);
      for (const request of Object.values(records)) expect(request.logs.length).toBeGreaterThan(0);
    } else {
      // A peer: no span from Drop's DB tracer, and none with DB attributes from anything else either.
      expect(otlp.spans.filter((s) => s.scope === DB_TRACER)).toEqual([]);
      expect(otlp.spans.filter((s) => s.attributes['db.system.name'] !== undefined)).toEqual([]);
      if (name === 'node-sdk-auto') {
        // pino's lines through the auto-instrumentation's stream, with the request's trace context.
        expect(records.transfer.logs.length).toBeGreaterThan(0);
        expect(records.health.logs.length).toBeGreaterThan(0);
        expect(otlp.logs.every((l) => l.scope.includes('pino'))).toBe(true);
      } else {
        expect(otlp.logs).toEqual([]);
        expect(otlp.requests.filter((r) => r.signal === 'logs')).toEqual([]);
      }
    }
  });
});

describe('bench:overhead peers', () => {
  const databases: TestDatabase[] = [];
  afterAll(async () => {
    for (const database of databases) await database.drop();
  });

  it('the full layer exports more than either peer: DB spans, OTLP logs (vercel-otel none), audit events', () => {
    const full = exported.get('full');
    const peers = [exported.get('vercel-otel'), exported.get('node-sdk-auto')];
    // Filled by the tests above (a file runs its tests in order).
    expect(full && peers.every(Boolean)).toBeTruthy();
    const total = (e: Exported, pick: (r: RequestRecords) => unknown[]) => Object.values(e).reduce((n, r) => n + pick(r).length, 0);
    for (const peer of peers as Exported[]) {
      expect(total(full!, (r) => r.dbSpans)).toBeGreaterThan(total(peer, (r) => r.dbSpans));
      expect(total(full!, (r) => r.logs)).toBeGreaterThanOrEqual(total(peer, (r) => r.logs));
      expect(total(full!, (r) => r.auditEvents)).toBe(total(peer, (r) => r.auditEvents));
    }
    // Fewer spans per request: Next's plumbing spans are not recorded by the full layer.
    expect(full!.health.spans.length).toBeLessThan(exported.get('vercel-otel')!.health.spans.length);
  });

  it("a peer that cannot be loaded stops the server before it serves: Node's --import fails start-up", async () => {
    const database = await createTestDatabase('sqlite');
    databases.push(database);
    const missing = path.join(root, 'bench/peers/no-such-peer.mjs');
    const start = startApp({ databaseUrl: database.url, env: { NODE_OPTIONS: `--import ${missing}` }, timeoutMs: 60_000 });
    await expect(start).rejects.toThrow(/the server exited \(code 1[\s\S]*no-such-peer\.mjs/);
  }, 90_000);

  it('the production build carries none of the peers', () => {
    // grep exits 1 when nothing matches; -l lists the files that do.
    const found = (pattern: string) => {
      try {
        return execFileSync('grep', ['-rlF', pattern, '.next/server'], { cwd: root, encoding: 'utf8' }).trim().split('\n');
      } catch (error) {
        if ((error as { status?: number }).status === 1) return [];
        throw error;
      }
    };
    expect(found('registerOTel')).toEqual([]);
    expect(found('getNodeAutoInstrumentations')).toEqual([]);
    // No production file names the peers or the bench's switch (the package names alone do appear: the app
    // bundles package.json, devDependencies included); the layer's own code is there, so the grep looks at a build.
    expect(found('bench/peers')).toEqual([]);
    expect(found('DROP_BENCH_PEER')).toEqual([]);
    expect(found('another OpenTelemetry SDK was registered').length).toBeGreaterThan(0);
  });
});
