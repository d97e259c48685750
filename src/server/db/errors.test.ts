import { describe, expect, it } from 'vitest';
import { MigrationError } from './migrate';
import { DatabaseUnavailableError, errorSummary, isDatabaseUnavailable } from './errors';

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

describe('isDatabaseUnavailable', () => {
  it.each([
    ['a refused connection', withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED')],
    ['PostgreSQL shutting down', withCode('terminating connection due to administrator command', '57P01')],
    ['PostgreSQL starting up', withCode('the database system is starting up', '57P03')],
    ['a connection exception (class 08)', withCode('connection failure', '08006')],
    ['a broken connection (pg, no code)', new Error('Connection terminated unexpectedly')],
    ['a connect timeout (pg, no code)', new Error('timeout exceeded when trying to connect')],
    ['SQLite that cannot open its file', withCode('unable to open database file', 'SQLITE_CANTOPEN')],
    [
      'a failed first migration, caused by a refused connection',
      new MigrationError('migration failed', { cause: withCode('x', 'ECONNREFUSED') }),
    ],
    ['an open that failed', new DatabaseUnavailableError(withCode("EEXIST: file already exists, mkdir '/data'", 'EEXIST'))],
  ])('is true for %s', (_what, error) => {
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it.each([
    ['a unique violation', withCode('duplicate key', '23505')],
    ['a syntax error', withCode('syntax error at or near', '42601')],
    ['SQLite busy (its own 503)', withCode('database is locked', 'SQLITE_BUSY')],
    ['an ordinary error', new Error('secret detail: connection to 10.1.2.3 refused')],
    ['not an error', 'ECONNREFUSED'],
  ])('is false for %s', (_what, error) => {
    expect(isDatabaseUnavailable(error)).toBe(false);
  });
});

describe('errorSummary', () => {
  it('gives the code and message of the driver error under its wrappers, and nothing else it carries', () => {
    const driver = Object.assign(withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'), { client: { password: 'x' } });
    const wrapped = new DatabaseUnavailableError(new MigrationError('migration 0001 failed', { cause: driver }));
    expect(errorSummary(wrapped)).toEqual({ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:5432' });
    expect(errorSummary(new Error('Connection terminated unexpectedly'))).toEqual({
      code: 'Error',
      message: 'Connection terminated unexpectedly',
    });
  });
});
