import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { appendAuditEntry, auditCheckpointer, listAuditCheckpoints, type AuditSigner } from '@audit';
import type { DatabaseHandle } from '../../src/server/db/connect';
import { TEST_AUDIT_MAC_KEYS } from './app-server';

/**
 * Appends `count` logins (users u-1, u-2, …) as the app writes them, with MACs under TEST_AUDIT_MAC_KEYS and a
 * checkpoint signed by `signer` at every `everyEntries`-th entry (never by time).
 */
export async function appendCheckpointedEntries(
  handle: DatabaseHandle,
  { count, everyEntries, signer }: { count: number; everyEntries: number; signer: AuditSigner },
): Promise<void> {
  const checkpointer = auditCheckpointer({ signer, everyEntries, everyMs: 86_400_000, macKeys: TEST_AUDIT_MAC_KEYS });
  for (let i = 1; i <= count; i++) {
    await handle.db
      .transaction()
      .execute((tx) =>
        appendAuditEntry(
          tx,
          { action: 'login_success', resource: `user:u-${i}`, userId: `u-${i}`, ip: null, userAgent: null },
          () => undefined,
          { checkpointer, macKeys: TEST_AUDIT_MAC_KEYS },
        ),
      );
  }
}

export interface PublishedCheckpoints {
  /** The temporary folder the file is in (tests may write more files there). */
  dir: string;
  /** The checkpoints document. */
  file: string;
  /** Serves the file over HTTP on 127.0.0.1, as it is when asked (re-read each time); the URL of the document. */
  serve(): Promise<string>;
  /** Stops the server, if any, and removes the folder. */
  close(): Promise<void>;
}

/**
 * The document GET /api/admin/audit/checkpoints serves for the database's checkpoints, kept where the database
 * owner cannot write: a file in a temporary folder of its own.
 */
export async function publishCheckpoints(handle: DatabaseHandle, signer: AuditSigner): Promise<PublishedCheckpoints> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drop-checkpoints-'));
  const file = path.join(dir, 'checkpoints.json');
  const document = {
    keyId: signer.keyId,
    publicKey: signer.publicJwk,
    publicKeyPem: signer.publicPem,
    checkpoints: await listAuditCheckpoints(handle.db),
  };
  fs.writeFileSync(file, JSON.stringify(document));
  let server: http.Server | undefined;
  return {
    dir,
    file,
    async serve() {
      server ??= http.createServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' }).end(fs.readFileSync(file));
      });
      if (!server.listening) await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
      return `http://127.0.0.1:${(server.address() as { port: number }).port}/checkpoints.json`;
    },
    async close() {
      if (server?.listening) await new Promise((resolve) => server!.close(resolve));
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
