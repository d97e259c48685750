import type { AuditAction, AuditOutcome } from './actions';
import { hashAuditEntry } from './chain';
import { auditMacProblem, type AuditMacKeys } from './entry-mac';
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
  /**
   * Whether the app wrote this entry as it is: its hash matches its stored fields and its MAC is valid. False for an
   * entry someone put in the database without the key (or changed since); `audit:verify` names the problem.
   */
  authentic?: boolean;
}

/** Whether a stored (not yet revealed) row is one the app wrote as it is: hash over its fields, and its MAC. */
export function isAuthenticAuditRow(macKeys: AuditMacKeys, row: AuditRow): boolean {
  return hashAuditEntry(row) === row.hash && auditMacProblem(macKeys, { id: Number(row.id), hash: row.hash, mac: row.mac }) === null;
}

export function toAuditEntryView(row: AuditRow, authentic?: boolean): AuditEntryView {
  return {
    ...(authentic === undefined ? {} : { authentic }),
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
