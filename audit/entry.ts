import type { AuditAction, AuditOutcome } from './actions';
import type { AuditRow } from './schema';

/** An audit entry as the API and the export show it. `timestamp` is ISO 8601 (UTC, millisecond precision). */
export interface AuditEntryView {
  id: number;
  timestamp: string;
  userId: string | null;
  action: AuditAction;
  resource: string;
  outcome: AuditOutcome;
  details: Record<string, unknown>;
  ipAddress: string | null;
  userAgent: string | null;
  requestId: string | null;
  spanId: string | null;
  prevHash: string;
  hash: string;
}

export function toAuditEntryView(row: AuditRow): AuditEntryView {
  return {
    id: row.id,
    timestamp: new Date(row.timestamp).toISOString(),
    userId: row.user_id,
    action: row.action,
    resource: row.resource,
    outcome: row.outcome,
    details: JSON.parse(row.details) as Record<string, unknown>,
    ipAddress: row.ip_address,
    userAgent: row.user_agent,
    requestId: row.request_id,
    spanId: row.span_id,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}
