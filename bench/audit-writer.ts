// One writer process of `npm run bench:audit -- --writers K`: opens DATABASE_URL like the app, makes its own
// pairs of users (so the only row every writer shares is the audit chain head), prints READY, waits for GO on
// stdin, then runs CONCURRENCY loops of audited transfers (createTransfer + confirmTransfer, one transaction each)
// for DURATION_MS and prints `RESULT {json}` with the latency of every transaction.
import { logToStderr } from '@otel';
import crypto from 'node:crypto';
import readline from 'node:readline';
import { openDatabase } from '../src/server/db/connect';
import { parseDatabaseUrl } from '../src/server/db/database-url';
import { inTransaction } from '../src/server/db/transaction';
import type { Actor } from '../src/server/domain/context';
import { confirmTransfer, createTransfer } from '../src/server/domain/transfers';
import { createUser } from '../src/server/domain/users';

// Its stdout is the result: logs (slow queries on a loaded machine) go to stderr.
logToStderr();

const concurrency = Number(process.env.CONCURRENCY ?? 4);
const durationMs = Number(process.env.DURATION_MS ?? 10_000);
const tag = `${process.env.WRITER ?? '0'}-${crypto.randomBytes(3).toString('hex')}`;

async function main() {
  const handle = openDatabase(parseDatabaseUrl(process.env.DATABASE_URL));
  const pairs: { actor: Actor; toEmail: string }[] = [];
  for (let i = 0; i < concurrency; i++) {
    const [from, to] = await inTransaction(handle.db, async (tx) => [
      await createUser(tx, { email: `w${tag}-${i}-a@bench.test`, name: 'Writer A', passwordHash: 'x', balanceCents: 1_000_000_000 }),
      await createUser(tx, { email: `w${tag}-${i}-b@bench.test`, name: 'Writer B', passwordHash: 'x' }),
    ]);
    pairs.push({
      actor: { userId: from!.id, sessionId: 'bench', role: 'user', ip: '198.51.100.7', userAgent: 'bench-writer' },
      toEmail: to!.email,
    });
  }
  process.stdout.write('READY\n');
  await new Promise<void>((resolve) => readline.createInterface({ input: process.stdin }).on('line', (line) => line === 'GO' && resolve()));

  const latencies: number[] = [];
  let errors = 0;
  const end = performance.now() + durationMs;
  const timed = async (work: () => Promise<unknown>) => {
    const started = performance.now();
    try {
      await work();
      latencies.push(performance.now() - started);
    } catch {
      errors++;
    }
  };
  await Promise.all(
    pairs.map(async ({ actor, toEmail }) => {
      while (performance.now() < end) {
        let id: string | undefined;
        await timed(async () => {
          id = (await inTransaction(handle.db, (tx) => createTransfer(tx, actor, { toEmail, amountCents: 1 }, crypto.randomUUID())))
            .transfer.id;
        });
        if (id) await timed(() => inTransaction(handle.db, (tx) => confirmTransfer(tx, actor, id!)));
      }
    }),
  );
  await handle.close();
  process.stdout.write(`RESULT ${JSON.stringify({ latencies, errors })}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`[audit-writer] ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
