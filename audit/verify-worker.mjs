// A worker thread of verifyAuditChain on SQLite: its own read-only connection to the database file, the chain's
// SQL functions, and one prepared statement (workerData.sql) that it runs for each parameter list it is sent.
// Plain JavaScript so that Node loads it as it is wherever the module runs (tsx, vitest, the Next.js server).
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { registerAuditSqliteFunctions } from './sql-functions.mjs';

// better-sqlite3's errors lose their message on the way to the parent thread: send the text.
const messageOf = (error) => (error instanceof Error ? error.message : String(error));

let statement;
let setupError;
try {
  const database = new Database(workerData.file, { readonly: true, fileMustExist: true });
  registerAuditSqliteFunctions(database);
  statement = database.prepare(workerData.sql);
} catch (error) {
  setupError = messageOf(error);
}

parentPort.on('message', (parameters) => {
  if (setupError !== undefined) return parentPort.postMessage({ error: setupError });
  try {
    parentPort.postMessage({ rows: statement.all(parameters) });
  } catch (error) {
    parentPort.postMessage({ error: messageOf(error) });
  }
});
