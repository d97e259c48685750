export interface StatementShape {
  /** SELECT, INSERT, UPDATE, DELETE, BEGIN, … */
  operation: string;
  /** The first table the statement reads or writes, when there is one. */
  collection: string | undefined;
}

const TABLE_AFTER = /\b(?:from|into|update|join)\s+"?([A-Za-z_][A-Za-z0-9_]*)"?/i;
const cache = new Map<string, StatementShape>();
const CACHE_LIMIT = 1_000;

/**
 * The operation and table of a SQL statement, read from its text (Kysely quotes identifiers, so a light
 * pattern is exact). Statements are parameterized, so the same few hundred texts repeat: results are cached.
 */
export function statementShape(sql: string): StatementShape {
  const cached = cache.get(sql);
  if (cached) return cached;
  const text = sql.trimStart();
  const operation = (/^[A-Za-z]+/.exec(text)?.[0] ?? 'UNKNOWN').toUpperCase();
  const shape: StatementShape = { operation, collection: TABLE_AFTER.exec(text)?.[1] };
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(sql, shape);
  return shape;
}
