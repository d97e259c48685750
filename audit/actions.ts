/** Every fact the audit trail records. Names are part of the compliance contract: never rename one, add new ones. */
export const AUDIT_ACTIONS = [
  'login_success',
  'login_failure',
  'logout',
  'register',
  'password_change',
  'transfer_initiated',
  'transfer_completed',
  'transfer_cancelled',
  'qr_payment',
  'kyc_submitted',
  'session_created',
  'session_revoked',
  'personal_data_erased',
  'legal_hold_set',
  'legal_hold_released',
  'admin_created',
  'admin_promoted',
] as const;

export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export const AUDIT_OUTCOMES = ['success', 'failure'] as const;

export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];
