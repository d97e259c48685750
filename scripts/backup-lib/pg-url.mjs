#!/usr/bin/env node
// PostgreSQL URL surgery for the backup scripts, with WHATWG URL rather than string slicing.
// Usage: node pg-url.mjs database URL             → prints the database name (libpq's default: the user name)
//        node pg-url.mjs with-database URL NAME   → prints URL pointing at database NAME instead
const [command, value, name] = process.argv.slice(2);
try {
  const url = new URL(value);
  if (command === 'database') {
    const database = decodeURIComponent(url.pathname.replace(/^\//, '')) || decodeURIComponent(url.username);
    if (!database) throw new Error('the URL names no database and no user');
    process.stdout.write(`${database}\n`);
  } else if (command === 'with-database' && name) {
    url.pathname = `/${encodeURIComponent(name)}`;
    process.stdout.write(`${url.toString()}\n`);
  } else {
    throw new Error('usage: pg-url.mjs database URL | with-database URL NAME');
  }
} catch (error) {
  process.stderr.write(`pg-url: ${error.message}\n`);
  process.exit(1);
}
