/**
 * The digest a page's error carries when the database is away (src/server/db/errors.ts sets it; Next keeps a
 * digest the error already has), so the error page can say so instead of "something went wrong".
 */
export const DATABASE_UNAVAILABLE_DIGEST = 'DATABASE_UNAVAILABLE';
