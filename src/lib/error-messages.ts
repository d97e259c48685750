import { ApiCallError } from './api-client';

/** "in 14 minutes", "in 40 seconds": when a rate-limited action may be tried again. */
export function inWords(seconds: number): string {
  if (seconds < 90) return `in ${Math.max(1, Math.round(seconds))} seconds`;
  const minutes = Math.ceil(seconds / 60);
  return minutes === 1 ? 'in a minute' : `in ${minutes} minutes`;
}

/**
 * What the API said, put the way a person reads it: the codes a page can run into get a sentence that says
 * what happened and what to do; anything else shows the API's own message (written for people too).
 */
export function describeApiError(error: unknown): string {
  if (!(error instanceof ApiCallError)) return 'Could not reach Drop. Check your connection and try again.';
  const { code, issues } = error.body.error;
  switch (code) {
    case 'invalid_request':
      return issues?.[0]?.message ?? error.message;
    case 'unauthenticated':
      return 'You have been signed out. Sign in again to continue.';
    case 'insufficient_funds':
      return 'Your balance is too low for this payment.';
    case 'recipient_not_found':
      return 'No Drop user has this email. Check the address, or ask them to join Drop first.';
    case 'self_transfer':
      return 'You cannot send money to yourself.';
    case 'transfer_not_pending':
      return 'This transfer is no longer pending: it was already confirmed or cancelled.';
    case 'transfer_not_found':
      return 'This transfer does not exist (any more).';
    case 'qr_not_found':
      return 'No payment request has this code. Check the code or link and try again.';
    case 'qr_already_paid':
      return 'This payment request has already been paid. Nothing was charged.';
    case 'qr_expired':
      return 'This payment request has expired. Nothing was charged: ask for a new code.';
    case 'own_payment_request':
      return 'This is your own payment request: someone else has to pay it.';
    case 'kyc_already_submitted':
      return 'You have already sent your identity documents and they are being reviewed. You can send new ones once that review is finished.';
    case 'invalid_current_password':
      return 'Your current password is not correct.';
    case 'password_unchanged':
      return 'The new password is the same as the current one. Choose a different one.';
    case 'session_not_found':
      return 'This session has already ended.';
    case 'rate_limited': {
      const when = error.retryAfterSeconds ? inWords(error.retryAfterSeconds) : 'later';
      return `Too many wrong attempts. For your safety this is paused: try again ${when}.`;
    }
    case 'database_unavailable':
    case 'database_busy':
      return 'Drop is temporarily unavailable. Nothing was changed; try again in a moment.';
    case 'csrf_failed':
      return 'Your page is out of date. Reload it and try again.';
    case 'internal':
      return `Something went wrong on our side. Please try again${error.body.error.traceId ? ` (reference ${error.body.error.traceId})` : ''}.`;
    default:
      return error.message;
  }
}
