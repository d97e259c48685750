/** Where a request came from: recorded on sessions (and the audit trail). */
export interface RequestContext {
  ip: string | null;
  userAgent: string | null;
}

/** The authenticated caller of a domain action. */
export interface Actor extends RequestContext {
  userId: string;
  sessionId: string;
  role: 'user' | 'admin';
}
