import { getAuditCheckpointer, getAuditKeyring } from './auth/audit-keys';
import { getAuthSecret } from './auth/secret';
import { loadServerConfig } from './config';

/**
 * Every setting the app reads, read once at boot, so that a bad value stops the server with a message that names
 * the variable instead of failing each request that reaches it. Returns the problems, one line each.
 */
export function checkServerConfig(): string[] {
  const problems = [...loadServerConfig().problems];
  if (problems.length > 0) return problems;
  // The secrets and keys, loaded by their own modules (they read files and make demo keys); they need the settings.
  const secrets: Array<() => unknown> = [
    getAuthSecret,
    getAuditKeyring,
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
  return problems;
}
