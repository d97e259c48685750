import type { Kysely, Migration } from 'kysely';

/**
 * The role a session was issued for. A session whose user's role has changed since (admin granted or revoked) is
 * refused and revoked, so the new privileges only ever come with a new session (src/server/domain/sessions.ts).
 * Sessions from before this migration have none and are treated as issued for the user's current role.
 */
export const sessionRole: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('sessions').addColumn('role', 'text').execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.alterTable('sessions').dropColumn('role').execute();
  },
};
