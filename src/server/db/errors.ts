import { EXPECTED_ERROR } from '@otel';
import { DATABASE_UNAVAILABLE_DIGEST } from '../../lib/page-errors';

interface DriverError {
  code?: unknown;
}

const codeOf = (error: unknown) => (error as DriverError | null)?.code;

/** A UNIQUE violation, as better-sqlite3 and pg each report it. */
export const isUniqueViolation = (error: unknown) =>
  codeOf(error) === 'SQLITE_CONSTRAINT_UNIQUE' || codeOf(error) === 'SQLITE_CONSTRAINT_PRIMARYKEY' || codeOf(error) === '23505';

/** SQLite's write lock still held by another connection after busy_timeout (SQLITE_BUSY and its extended codes). */
export const isDatabaseBusy = (error: unknown) => {
  const code = codeOf(error);
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY');
};

/** Node's socket and file errors that mean the database cannot be reached or opened (not that a statement is wrong). */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'SQLITE_CANTOPEN',
  // PostgreSQL: shutting down (admin or crash), starting up, out of connection slots.
  '57P01',
  '57P02',
  '57P03',
  '53300',
]);

/** pg's own errors for a connection that broke or never came up; they carry no code. */
const PG_CONNECTION_MESSAGES =
  /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection ended unexpectedly)/;

/**
 * The database is away (stopped, restarting, unreachable, or its file cannot be opened): a 503 with Retry-After,
 * not a bug. Looks through `cause` (a failed migration at first use wraps the driver's error).
 */
export function isDatabaseUnavailable(error: unknown, depth = 0): boolean {
  if (error instanceof DatabaseUnavailableError) return true;
  const code = codeOf(error);
  if (typeof code === 'string' && (UNREACHABLE_CODES.has(code) || code.startsWith('08') || code.startsWith('SQLITE_IOERR'))) return true;
  if (error instanceof Error && PG_CONNECTION_MESSAGES.test(error.message)) return true;
  return error instanceof Error && error.cause !== undefined && depth < 3 && isDatabaseUnavailable(error.cause, depth + 1);
}

/** A file system error of a path that cannot be reached or created (missing, not a directory, no permission, read-only). */
export const isUnreachablePath = (error: unknown) => {
  const code = codeOf(error);
  return typeof code === 'string' && ['ENOENT', 'ENOTDIR', 'EEXIST', 'EACCES', 'EPERM', 'EROFS'].includes(code);
};

/** The database could not be opened at all (its file or directory, or its server); `cause` says why. */
export class DatabaseUnavailableError extends Error {
  /** Kept by Next for a page that fails with it: the error page tells the visitor the service is unavailable. */
  readonly digest = DATABASE_UNAVAILABLE_DIGEST;
  /** Reported once per outage (`db.unavailable`): Next's log line for each page that fails with it stays short. */
  readonly [EXPECTED_ERROR] = true;

  constructor(cause: unknown) {
    super(`the database cannot be opened: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'DatabaseUnavailableError';
  }
}

/**
 * An error as the log shows it: its code and message, never the objects it carries. Wrappers (a failed migration,
 * DatabaseUnavailableError) give way to the driver's error in their `cause` that has a code.
 */
export function errorSummary(error: unknown): { code: string; message: string } {
  for (let current: unknown = error, depth = 0; current instanceof Error && depth < 4; current = current.cause, depth++) {
    const code = codeOf(current);
    if (typeof code === 'string') return { code, message: current.message };
  }
  if (error instanceof Error) return { code: error.name, message: error.message };
  return { code: 'unknown', message: String(error) };
}
