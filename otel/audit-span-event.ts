import type { Attributes, Span } from '@opentelemetry/api';
import { ATTR_USER_ID } from './semconv';

/** Attribute names of the `audit.<action>` span event (no semantic convention exists for them). */
export const ATTR_AUDIT_ID = 'audit.id';
export const ATTR_AUDIT_ACTION = 'audit.action';
export const ATTR_AUDIT_RESOURCE = 'audit.resource';
export const ATTR_AUDIT_OUTCOME = 'audit.outcome';

export const auditEventName = (action: string) => `audit.${action}`;

/** What the span event carries of an audit entry (the audit module's row has this shape). */
export interface AuditSpanEventFields {
  id: number;
  action: string;
  resource: string;
  outcome: string;
  user_id: string | null;
  timestamp: number;
}

/** The same fact as the audit row, on the request's span, so engineers see it in the trace. */
export function addAuditSpanEvent(span: Span, row: AuditSpanEventFields): void {
  const attributes: Attributes = {
    [ATTR_AUDIT_ID]: row.id,
    [ATTR_AUDIT_ACTION]: row.action,
    [ATTR_AUDIT_RESOURCE]: row.resource,
    [ATTR_AUDIT_OUTCOME]: row.outcome,
  };
  if (row.user_id) attributes[ATTR_USER_ID] = row.user_id;
  span.addEvent(auditEventName(row.action), attributes, row.timestamp);
}
