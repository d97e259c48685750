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
