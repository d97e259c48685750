import type { Instrumentation } from 'next';
import { currentRequestId } from '../request-scope';
import { reportError } from './error-reporter';

/** Next's own control flow (redirect(), notFound(), dynamic bail-outs) travels as thrown errors with a digest. */
const CONTROL_FLOW_DIGESTS = ['NEXT_', 'DYNAMIC_SERVER_USAGE', 'BAILOUT_TO_CLIENT_SIDE_RENDERING'];

function isControlFlow(error: unknown): boolean {
  const digest = (error as { digest?: unknown } | null)?.digest;
  return typeof digest === 'string' && CONTROL_FLOW_DIGESTS.some((prefix) => digest.startsWith(prefix));
}

/**
 * Next's onRequestError: errors of pages, server components, server actions and route handlers that reached Next
 * itself. API routes never get here (route() answers their errors with a 500 and reports them), so nothing is
 * sent twice. Next calls this inside the request's span: the event gets its trace id.
 */
export const reportRequestError: Instrumentation.onRequestError = (error, request, context) => {
  if (isControlFlow(error)) return;
  reportError(error, {
    requestId: currentRequestId(),
    route: context.routePath,
    method: request.method,
    mechanism: `next.onRequestError.${context.routeType}`,
  });
};
