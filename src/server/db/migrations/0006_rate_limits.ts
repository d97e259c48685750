import { sql, type Kysely, type Migration } from 'kysely';
import type { Dialect } from '../connect';

/**
 * The attempt counters of rate-limiter-flexible (src/server/auth/attempt-limiter.ts), in the layout its PostgreSQL
 * and SQLite stores expect. Created here, by the role that owns the schema, so the app's role needs no DDL: the
 * limiters are configured with `tableCreated: true` and never run CREATE TABLE themselves.
 */
export const rateLimits = (dialect: Dialect): Migration => ({
  async up(db: Kysely<unknown>) {
    if (dialect === 'postgres') {
      await sql`create table rate_limits (key text primary key, points integer not null default 0, expire bigint)`.execute(db);
    } else {
      await sql`create table rate_limits (key text primary key, points integer not null default 0, expire integer)`.execute(db);
    }
    await sql`create index rate_limits_expire on rate_limits (expire)`.execute(db);
  },
  async down(db: Kysely<unknown>) {
    await sql`drop table rate_limits`.execute(db);
  },
});
