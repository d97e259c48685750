import { cookies } from 'next/headers';
import { getDatabase } from './db';
import { SESSION_COOKIE, userFromSessionToken } from './http/session-cookie';
import type { Session, User } from './db/schema';

/** The signed-in user and the session of this request, for a server component, or undefined. */
export async function currentSession(): Promise<{ user: User; session: Session } | undefined> {
  const token = (await cookies()).get(SESSION_COOKIE)?.value;
  if (!token) return undefined;
  const { db } = await getDatabase();
  return userFromSessionToken(db, token);
}

/** The signed-in user for a server component, or undefined. */
export async function currentUser(): Promise<User | undefined> {
  return (await currentSession())?.user;
}
