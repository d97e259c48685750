import { openDatabase } from '../src/server/db/connect';
import { describeDatabase, parseDatabaseUrl } from '../src/server/db/database-url';
import { migrateToLatest } from '../src/server/db/migrate';
import { seedDemoUsers } from '../src/server/db/seed';

async function main() {
  const config = parseDatabaseUrl(process.env.DATABASE_URL);
  const handle = openDatabase(config);
  try {
    await migrateToLatest(handle.db, handle.dialect);
    const created = await seedDemoUsers(handle.db);
    process.stdout.write(
      `${describeDatabase(config)}: ${created.length ? `created ${created.join(', ')}` : 'demo users already present'}\n`,
    );
  } finally {
    await handle.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`db:seed failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
