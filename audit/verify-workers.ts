import { Worker } from 'node:worker_threads';
import type { Kysely } from 'kysely';
import { rangeCheckQuery, readRangeCheck, type RangeCheckRow, type RangeChecker } from './range-check';
import type { AuditTables } from './schema';

interface WorkerReply {
  rows?: RangeCheckRow[];
  error?: string;
}

/**
 * Checks ranges of a SQLite file's chain on `count` worker threads (verify-worker.mjs), each with its own
 * read-only connection: better-sqlite3 runs statements on the calling thread, so this is how SQLite uses more than
 * one core. `db` only compiles the statement; the workers never touch the app's connection.
 */
export function sqliteWorkerRangeChecker<DB extends AuditTables>(db: Kysely<DB>, file: string, count: number): RangeChecker {
  const { sql } = rangeCheckQuery('sqlite', 0, 0).compile(db);
  let failure: Error | undefined;
  const workers = Array.from({ length: count }, () => {
    const worker = new Worker(new URL('./verify-worker.mjs', import.meta.url), { workerData: { file, sql } });
    // A worker that cannot run at all (it could not load its modules) fails the check waiting for it, or the next one.
    worker.on('error', (error) => (failure ??= new Error(`audit verify worker failed: ${error.message || String(error)}`)));
    return worker;
  });
  const idle = [...workers];
  const waiting: ((worker: Worker) => void)[] = [];

  const run = (worker: Worker, parameters: readonly unknown[]) =>
    new Promise<RangeCheckRow[]>((resolve, reject) => {
      const settle = () => {
        worker.off('message', onMessage).off('error', onError).off('exit', onExit);
      };
      const onMessage = (reply: WorkerReply) => {
        settle();
        if (reply.error !== undefined) reject(new Error(reply.error));
        else resolve(reply.rows ?? []);
      };
      const onError = (error: Error) => {
        settle();
        reject(error);
      };
      const onExit = (code: number) => {
        settle();
        reject(failure ?? new Error(`audit verify worker exited with code ${code}`));
      };
      worker.on('message', onMessage).on('error', onError).on('exit', onExit);
      worker.postMessage(parameters);
    });

  return {
    parallelism: count,
    async check(fromId, toId) {
      if (failure) throw failure;
      const worker = idle.pop() ?? (await new Promise<Worker>((resolve) => waiting.push(resolve)));
      try {
        return readRangeCheck(await run(worker, rangeCheckQuery('sqlite', fromId, toId).compile(db).parameters));
      } finally {
        const next = waiting.shift();
        if (next) next(worker);
        else idle.push(worker);
      }
    },
    async close() {
      await Promise.all(workers.map((worker) => worker.terminate()));
    },
  };
}
