import type { DatabaseHandle } from '../db/connect';
import { PASSWORD_HASHES, failedLoginsFrom, passwordHashFrom } from './address-budget';
import { forgetAttempts, reserveAttempt, type AttemptLimit } from './attempt-limiter';

export const LOGIN_WINDOW_SECONDS = 15 * 60;
export const MAX_FAILURES_PER_EMAIL_AND_IP = 5;
/** Bounds guessing from many (or spoofed) addresses against one account. */
export const MAX_FAILURES_PER_EMAIL = 20;

const PER_EMAIL_AND_IP: AttemptLimit = { name: 'login_ip', points: MAX_FAILURES_PER_EMAIL_AND_IP, windowSeconds: LOGIN_WINDOW_SECONDS };
const PER_EMAIL: AttemptLimit = { name: 'login_email', points: MAX_FAILURES_PER_EMAIL, windowSeconds: LOGIN_WINDOW_SECONDS };

export interface LoginAttempt {
  /** The password was right: this attempt is given back, and earlier failures from this address are forgotten. */
  succeeded(): Promise<void>;
  /** The password was never checked (an unexpected error): the attempt is given back. */
  abandoned(): Promise<void>;
}

/**
 * Counts a login attempt before its password is checked (a failure keeps the count). Throws `rate_limited` when
 * this email (from this address, or overall) or this address (failed logins across emails, or password hashes) has
 * no attempt left, so a burst of parallel guesses gets no more checks than the limit.
 */
export async function reserveLoginAttempt(handle: DatabaseHandle, email: string, ip: string): Promise<LoginAttempt> {
  const pair = { limit: PER_EMAIL_AND_IP, key: `${email}|${ip}` };
  const overall = { limit: PER_EMAIL, key: email };
  // Across emails, per address: failed logins (spraying) and password hashes (the CPU an address may spend).
  const claims = [pair, overall, failedLoginsFrom(ip), passwordHashFrom(ip)];
  const reservation = await reserveAttempt(handle, claims, 'Too many failed logins; try again later');
  return {
    async succeeded() {
      // The password was hashed: that stays counted.
      await reservation.refund([PASSWORD_HASHES]);
      await forgetAttempts(handle, pair);
    },
    abandoned: () => reservation.refund(),
  };
}
