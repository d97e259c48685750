import { serverConfig } from '../config';
import type { AttemptClaim, AttemptLimit } from './attempt-limiter';

/** The window of both per-address budgets. */
export const ADDRESS_WINDOW_SECONDS = 15 * 60;

/**
 * Failed logins one client address may make across all emails per window (password spraying; unknown emails
 * count too): LOGIN_FAILURES_PER_ADDRESS, default 20.
 */
function failedLogins(): AttemptLimit {
  return { name: 'login_failures_ip', points: serverConfig().loginFailuresPerAddress, windowSeconds: ADDRESS_WINDOW_SECONDS };
}

/** The name of the password-hash budget, to keep it when an attempt is given back. */
export const PASSWORD_HASHES = 'password_hash_ip';

/**
 * Password hashes (argon2, the costly part) one client address may cause per window: every login checked
 * (successful, wrong, or for an unknown email, which is hashed too so that it takes the same time), every
 * registration and every current-password check: PASSWORD_HASHES_PER_ADDRESS, default 60. Never given back: the
 * work was done whatever the outcome.
 */
function passwordHashes(): AttemptLimit {
  return { name: PASSWORD_HASHES, points: serverConfig().passwordHashesPerAddress, windowSeconds: ADDRESS_WINDOW_SECONDS };
}

/** The address budget of failed logins, as a claim (given back when the login succeeds). */
export const failedLoginsFrom = (ip: string): AttemptClaim => ({ limit: failedLogins(), key: ip });
/** The address budget of password-hash work, as a claim (kept once the hash was computed). */
export const passwordHashFrom = (ip: string): AttemptClaim => ({ limit: passwordHashes(), key: ip });
