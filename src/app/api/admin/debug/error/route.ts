import { z } from 'zod';
import { readJson } from '@/server/http/request';
import { json } from '@/server/http/respond';
import { route } from '@/server/http/route';
import { otherMethods } from '@/server/http/methods';

/** Thrown on purpose, so an operator can watch one error travel through logs, traces, Sentry and alerts. */
class DeliberateError extends Error {
  override name = 'DeliberateError';
}

const debugErrorBody = z.object({
  /**
   * route (default): thrown in the handler, a 500 with the trace id, reported by the route wrapper.
   * unhandled-rejection / uncaught-exception: raised outside any request handling, for the process-wide capture
   * (the server keeps running: Next logs such errors instead of exiting). Answered with 202.
   */
  kind: z.enum(['route', 'unhandled-rejection', 'uncaught-exception']).default('route'),
});

export const POST = route({ access: 'admin' }, async ({ req, actor }) => {
  const { kind } = req.headers.get('content-type') ? await readJson(req, debugErrorBody) : { kind: 'route' as const };
  const message = `Deliberate ${kind} error requested by admin ${actor.userId} to check the monitoring pipeline`;
  if (kind === 'unhandled-rejection') {
    // Deliberately left unhandled.
    Promise.reject(new DeliberateError(message));
    return json({ raised: kind }, 202);
  }
  if (kind === 'uncaught-exception') {
    setTimeout(() => {
      throw new DeliberateError(message);
    }, 0);
    return json({ raised: kind }, 202);
  }
  throw new DeliberateError(message);
});

export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = otherMethods({ POST });
