import type { DatabaseHandle } from '../db/connect';
import { PASSWORD_HASHES, passwordHashFrom } from './address-budget';
import { reserveAttempt, type AttemptLimit, type Reservation } from './attempt-limiter';

/** Wrong current passwords a signed-in user may give (POST /api/auth/password) per window. */
export const MAX_PASSWORD_CHECK_FAILURES_PER_USER = 5;
export const PASSWORD_CHECK_WINDOW_SECONDS = 15 * 60;

const PER_USER: AttemptLimit = {
  name: 'password_check',
  points: MAX_PASSWORD_CHECK_FAILURES_PER_USER,
  windowSeconds: PASSWORD_CHECK_WINDOW_SECONDS,
};

/**
 * Counts a check of a signed-in user's current password before it is made: a stolen session must not become an
 * unlimited password oracle. Throws `rate_limited` once the user has no attempt left; refund when the password was
 * right (or never checked).
 */
export async function reservePasswordCheck(handle: DatabaseHandle, userId: string, ip: string): Promise<Reservation> {
  const reservation = await reserveAttempt(
    handle,
    [{ limit: PER_USER, key: userId }, passwordHashFrom(ip)],
    'Too many wrong passwords; try again later',
  );
  // Given back when the password was right, except the hash work, which was done.
  return { refund: (keep = [PASSWORD_HASHES]) => reservation.refund(keep) };
}
