import { cookies } from 'next/headers';
import { getDatabase } from './db';
import { SESSION_COOKIE, userFromSessionToken } from './http/session-cookie';
import type { User } from './db/schema';

/** The signed-in user for a server component, or undefined. */
export async function currentUser(): Promise<User | undefined> {
  const token = (await cookies()).get(SESSION_COOKIE)?.value;
  if (!token) return undefined;
  const { db } = await getDatabase();
  return (await userFromSessionToken(db, token))?.user;
}
