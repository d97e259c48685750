#!/usr/bin/env node
// The benchmark's concurrent writer: one transfer row every WRITE_EVERY_MS (default 2 ms, ~500 commits/s, far
// above what a small payments app sees), each its own transaction, as the app writes (WAL, synchronous=NORMAL).
// Runs until SIGTERM; prints "ready" after the first commit and the number of commits on exit.
import crypto from 'node:crypto';
import Database from 'better-sqlite3';

const [file] = process.argv.slice(2);
const every = Number(process.env.WRITE_EVERY_MS ?? 2);
const db = new Database(file, { fileMustExist: true });
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.pragma('busy_timeout = 5000');
const [from, to] = db.prepare('SELECT id FROM users ORDER BY id LIMIT 2').pluck().all();
const insert = db.prepare(
  `INSERT INTO transfers (id, kind, from_user_id, to_user_id, amount_cents, note, status, created_at)
   VALUES (?, 'transfer', ?, ?, 100, 'written during the benchmark', 'completed', ?)`,
);
let commits = 0;
const timer = setInterval(() => {
  insert.run(crypto.randomUUID(), from, to, Date.now());
  if (commits++ === 0) process.stdout.write('ready\n');
}, every);
process.on('SIGTERM', () => {
  clearInterval(timer);
  db.close();
  process.stdout.write(`${commits}\n`);
  process.exit(0);
});
