import { route } from '@/server/http/route';

/** Thrown on purpose, so an operator can watch one error travel through logs, traces, Sentry and alerts. */
class DeliberateError extends Error {
  override name = 'DeliberateError';
}

export const POST = route({ access: 'admin' }, async ({ actor }) => {
  throw new DeliberateError(`Deliberate error requested by admin ${actor.userId} to check the monitoring pipeline`);
});
