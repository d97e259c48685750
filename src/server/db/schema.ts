import type { Selectable } from 'kysely';
import type { AuditTables } from '@audit';

/** Timestamps are UTC epoch milliseconds; money is integer cents. */
export interface UsersTable {
  id: string;
  email: string;
  name: string;
  password_hash: string;
  role: 'user' | 'admin';
  balance_cents: number;
  created_at: number;
}

export interface SessionsTable {
  id: string;
  user_id: string;
  created_at: number;
  last_seen_at: number;
  expires_at: number;
  revoked_at: number | null;
  ip: string | null;
  user_agent: string | null;
  /** The user's role when the session was issued; null for sessions from before migration 0007. */
  role: 'user' | 'admin' | null;
}

export type TransferStatus = 'pending' | 'completed' | 'cancelled';
export type TransferKind = 'transfer' | 'qr_payment';

export interface TransfersTable {
  id: string;
  kind: TransferKind;
  from_user_id: string;
  to_user_id: string;
  amount_cents: number;
  note: string | null;
  status: TransferStatus;
  idempotency_key: string | null;
  request_hash: string | null;
  created_at: number;
  completed_at: number | null;
  /** Why a confirm was refused (`insufficient_funds`); null otherwise. */
  failure_reason: string | null;
}

export interface PaymentRequestsTable {
  code: string;
  payee_user_id: string;
  amount_cents: number;
  description: string | null;
  status: 'open' | 'paid';
  created_at: number;
  expires_at: number;
  paid_at: number | null;
  paid_by_user_id: string | null;
  transfer_id: string | null;
}

export interface KycSubmissionsTable {
  id: string;
  user_id: string;
  full_name: string;
  date_of_birth: string;
  document_type: 'passport' | 'id_card' | 'driving_licence';
  document_number_hash: string;
  document_last4: string;
  status: 'submitted';
  created_at: number;
}

/** The app's tables, and the audit tables owned by the audit module (audit/). */
export interface Database extends AuditTables {
  users: UsersTable;
  sessions: SessionsTable;
  transfers: TransfersTable;
  payment_requests: PaymentRequestsTable;
  kyc_submissions: KycSubmissionsTable;
}

export type User = Selectable<UsersTable>;
export type Session = Selectable<SessionsTable>;
export type Transfer = Selectable<TransfersTable>;
export type PaymentRequest = Selectable<PaymentRequestsTable>;
