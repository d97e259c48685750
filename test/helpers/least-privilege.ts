import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { sql } from 'kysely';
import { openDatabase } from '../../src/server/db/connect';
import { migrateToLatest } from '../../src/server/db/migrate';
import { postgresAdminUrl, type TestDatabase } from './databases';

const doc = fs.readFileSync(path.resolve(import.meta.dirname, '../../docs/AUDIT.md'), 'utf8');
const setupSql = /## Production role setup[\s\S]*?```sql\n([\s\S]*?)```/.exec(doc)?.[1] ?? '';

/** The statements of one part of the setup block, one by one (CREATE DATABASE cannot share a transaction). */
export const setupStatements = (part: string) =>
  part
    .replace(/--.*$/gm, '')
    .split(/;\s*$/m)
    .map((s) => s.trim())
    .filter(Boolean);

const [clusterPart = '', databasePart = '', ownerPart = ''] = setupSql.split(/^-- As .*$/m);
/** The setup block's three parts: as a superuser, as a superuser in the database, as the owner after migrating. */
export const productionRoleSetup = { clusterPart, databasePart, ownerPart };

export interface LeastPrivilegeDatabase extends TestDatabase {
  /** The owner's URL (migrations, and test arrangements the app's role may not make). */
  ownerUrl: string;
  /** The two roles, named uniquely for this database. */
  roles: { owner: string; app: string };
}

/**
 * A PostgreSQL database set up exactly as docs/AUDIT.md's "Production role setup" says (role and database names
 * made unique): created and migrated by the owner role, with `url` the app role's, which has only the grants the
 * document lists — no DDL. `adminUrl`: a superuser's, on the cluster to use (the shared test server by default).
 */
export async function createLeastPrivilegeDatabase(adminUrl = postgresAdminUrl()): Promise<LeastPrivilegeDatabase> {
  if (!/GRANT .* ON rate_limits TO drop_app/.test(ownerPart)) throw new Error('docs/AUDIT.md: no grant on rate_limits for drop_app');
  const suffix = crypto.randomBytes(4).toString('hex');
  const names = { owner: `drop_owner_${suffix}`, app: `drop_app_${suffix}`, database: `drop_lp_${suffix}` };
  const rename = (text: string) =>
    text
      .replaceAll('drop_owner', names.owner)
      .replaceAll('drop_app', names.app)
      .replace(/DATABASE drop\b/g, `DATABASE ${names.database}`)
      .replace(/PASSWORD '…'/g, "PASSWORD 'x'");
  const urlAs = (role: string) => {
    const url = new URL(adminUrl);
    url.username = role;
    url.password = 'x';
    url.pathname = `/${names.database}`;
    return url.toString();
  };
  const runAll = async (connectionString: string, part: string) => {
    const client = new pg.Client({ connectionString });
    await client.connect();
    try {
      for (const statement of setupStatements(part)) await client.query(rename(statement));
    } finally {
      await client.end();
    }
  };
  await runAll(adminUrl, clusterPart);
  await runAll(new URL(`/${names.database}`, adminUrl).toString(), databasePart);
  const owner = openDatabase({ dialect: 'postgres', connectionString: urlAs(names.owner) });
  try {
    await migrateToLatest(owner.db, 'postgres');
    for (const statement of setupStatements(ownerPart)) await sql.raw(rename(statement)).execute(owner.db);
  } finally {
    await owner.close();
  }
  return {
    dialect: 'postgres',
    url: urlAs(names.app),
    ownerUrl: urlAs(names.owner),
    roles: { owner: names.owner, app: names.app },
    async drop() {
      const admin = new pg.Client({ connectionString: adminUrl });
      await admin.connect();
      try {
        await admin.query(`DROP DATABASE IF EXISTS ${names.database} WITH (FORCE)`);
        await admin.query(`DROP ROLE IF EXISTS ${names.app}`);
        await admin.query(`DROP ROLE IF EXISTS ${names.owner}`);
      } finally {
        await admin.end();
      }
    },
  };
}
