import {
  ATTR_AUTH_EMAIL_MASKED,
  ATTR_AUTH_FAILURE_REASON,
  ATTR_CLIENT_NETWORK,
  ATTR_USER_ID,
  EVENT_AUDIT_LOGIN_FAILURE,
  getLogger,
  type Logger,
  maskClientAddress,
  maskEmail,
} from '@otel';

export type LoginFailureReason = 'unknown_email' | 'wrong_password' | 'rate_limited';

let securityLogger: Logger | undefined;

/** Fixed at info whatever LOG_LEVEL says: LOG_LEVEL=warn must not blind the security alert. */
function loginFailureLogger(): Logger {
  securityLogger ??= getLogger().child({}, { level: 'info' });
  return securityLogger;
}

/**
 * The `audit.login_failure` record: a refused sign-in, once its audit entry has committed, for the alert processor's
 * failed-login watch (per account, per network). What leaves the app follows the redaction policy: the account's
 * id (never its email), an unknown account's email masked (`a***@drop.test`), the client's network (`/24`, `/48`),
 * never the full address — the audit entry keeps that, encrypted. Emitted whatever LOG_LEVEL says.
 */
export function emitLoginFailure(failure: { userId: string | null; email: string; ip: string | null; reason: LoginFailureReason }): void {
  loginFailureLogger().info(
    {
      'event.name': EVENT_AUDIT_LOGIN_FAILURE,
      ...(failure.userId ? { [ATTR_USER_ID]: failure.userId } : { [ATTR_AUTH_EMAIL_MASKED]: maskEmail(failure.email) }),
      [ATTR_CLIENT_NETWORK]: maskClientAddress(failure.ip),
      [ATTR_AUTH_FAILURE_REASON]: failure.reason,
    },
    `sign-in refused (${failure.reason})`,
  );
}
