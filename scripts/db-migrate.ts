import { openDatabase } from '../src/server/db/connect';
import { describeDatabase, parseDatabaseUrl } from '../src/server/db/database-url';
import { migrateToLatest } from '../src/server/db/migrate';

async function main() {
  const config = parseDatabaseUrl(process.env.DATABASE_URL);
  const handle = openDatabase(config);
  try {
    const applied = await migrateToLatest(handle.db, handle.dialect);
    process.stdout.write(`${describeDatabase(config)}: ${applied.length ? `applied ${applied.join(', ')}` : 'already up to date'}\n`);
  } finally {
    await handle.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`db:migrate failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
