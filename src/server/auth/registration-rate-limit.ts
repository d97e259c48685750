import type { DatabaseHandle } from '../db/connect';
import { passwordHashFrom } from './address-budget';
import { reserveAttempt, type AttemptLimit } from './attempt-limiter';

/** Registrations one client address may attempt (POST /api/auth/register) per window: each costs an argon2 hash. */
export const MAX_REGISTRATIONS_PER_ADDRESS = 10;
export const REGISTRATION_WINDOW_SECONDS = 60 * 60;

const PER_ADDRESS: AttemptLimit = {
  name: 'register_ip',
  points: MAX_REGISTRATIONS_PER_ADDRESS,
  windowSeconds: REGISTRATION_WINDOW_SECONDS,
};

/**
 * Counts a registration before its password is hashed; it stays counted, successful or not (the hash is the cost
 * being bounded). Throws `rate_limited` once the address has no attempt left.
 */
export async function reserveRegistration(handle: DatabaseHandle, ip: string): Promise<void> {
  await reserveAttempt(
    handle,
    [{ limit: PER_ADDRESS, key: ip }, passwordHashFrom(ip)],
    'Too many registrations from this address; try again later',
  );
}
