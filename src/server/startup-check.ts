import { checkAuditKeyring } from '@audit';
import { getAuditCheckpointer, getAuditKeyring, getAuditMacKeys } from './auth/audit-keys';
import { getAuthSecret } from './auth/secret';
import { loadServerConfig } from './config';
import { getDatabase } from './db';

/**
 * Every setting the app reads, read once at boot, so that a bad value stops the server with a message that names
 * the variable instead of failing each request that reaches it. Returns the problems, one line each.
 */
export async function checkServerConfig(): Promise<string[]> {
  const problems = [...loadServerConfig().problems];
  if (problems.length > 0) return problems;
  // The secrets and keys, loaded by their own modules (they read files and make demo keys); they need the settings.
  const secrets: Array<() => unknown> = [
    getAuthSecret,
    getAuditKeyring,
    getAuditMacKeys,
    // Reads AUDIT_SIGNING_KEY(_FILE); the checkpoint intervals come from the config.
    getAuditCheckpointer,
  ];
  for (const load of secrets) {
    try {
      load();
    } catch (error) {
      problems.push(error instanceof Error ? error.message : String(error));
    }
  }
  if (problems.length === 0) {
    const problem = await checkAuditMasterKey();
    if (problem) problems.push(problem);
  }
  return problems;
}

/**
 * A changed AUDIT_ENCRYPTION_KEY (or AUTH_SECRET it is derived from) would turn every audited action of an existing
 * user into an error: try one stored user key. A database that cannot be reached is not a configuration problem
 * here (requests report it); the check is then skipped.
 */
async function checkAuditMasterKey(): Promise<string | undefined> {
  let db;
  try {
    db = (await getDatabase()).db;
  } catch {
    return undefined;
  }
  if ((await checkAuditKeyring(db, getAuditKeyring())) !== 'mismatch') return undefined;
  return process.env.AUDIT_ENCRYPTION_KEY
    ? 'AUDIT_ENCRYPTION_KEY does not open the audit user keys stored in the database: it is not the key the audit data was written with (restore the previous value)'
    : 'AUDIT_ENCRYPTION_KEY is unset and the key derived from AUTH_SECRET does not open the audit user keys stored in the database: set AUDIT_ENCRYPTION_KEY (or AUTH_SECRET) to the value the audit data was written with';
}
