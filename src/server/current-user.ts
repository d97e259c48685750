import { cookies } from 'next/headers';
import { redirect } from 'next/navigation';
import { loginPath } from '../lib/next-path';
import { getDatabase } from './db';
import { DatabaseUnavailableError, isDatabaseUnavailable } from './db/errors';
import { SESSION_COOKIE, userFromSessionToken } from './http/session-cookie';
import type { Session, User } from './db/schema';

/** The signed-in user and the session of this request, for a server component, or undefined. */
export async function currentSession(): Promise<{ user: User; session: Session } | undefined> {
  const token = (await cookies()).get(SESSION_COOKIE)?.value;
  if (!token) return undefined;
  try {
    const { db } = await getDatabase();
    return await userFromSessionToken(db, token);
  } catch (error) {
    // Marked for the error page ("temporarily unavailable"), not "something went wrong".
    if (isDatabaseUnavailable(error) && !(error instanceof DatabaseUnavailableError)) throw new DatabaseUnavailableError(error);
    throw error;
  }
}

/** The signed-in user for a server component, or undefined. */
export async function currentUser(): Promise<User | undefined> {
  return (await currentSession())?.user;
}

/** The signed-in user, or a redirect to the sign-in page that comes back to `path` (this page) afterwards. */
export async function requireUser(path: string): Promise<User> {
  const user = await currentUser();
  if (!user) redirect(loginPath(path));
  return user;
}

/** As requireUser, with the session (the Security page marks the current one). */
export async function requireSession(path: string): Promise<{ user: User; session: Session }> {
  const signedIn = await currentSession();
  if (!signedIn) redirect(loginPath(path));
  return signedIn;
}
