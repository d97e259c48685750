import type { Metadata } from 'next';
import Link from 'next/link';
import type { ReactNode } from 'react';
import { forbidden } from 'next/navigation';
import {
  AUDIT_ACTIONS,
  countAuditEntries,
  findAuditEntry,
  listAuditEntries,
  revealAuditRows,
  type AuditAction,
  type AuditPage,
  type AuditRow,
} from '@audit';
import { traceUrl as traceViewerUrl } from '@otel';
import { getAuditKeyring } from '@/server/auth/audit-keys';
import { serverConfig } from '@/server/config';
import { ChainStatusBadge } from '@/components/admin/ChainStatusBadge';
import { LocalTime } from '@/components/LocalTime';
import { requireUser } from '@/server/current-user';
import { getDatabase } from '@/server/db';
import { findUserByEmail, findUserEmails } from '@/server/domain/users';
import { auditFilters, auditListParams, type AuditListParams } from '@/server/http/audit-params';
import { ValidationError, queryObject } from '@/server/http/request';
import styles from './audit.module.css';
import { filterProblemInWords } from './filter-problems';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Audit log · Drop' };

const PAGE_SIZE = 50;
const FILTER_NAMES = ['user_id', 'action', 'outcome', 'request_id', 'from', 'to'] as const;

type SearchParams = Promise<Record<string, string | string[] | undefined>>;

/** The query without empty values (a GET form sends every field, filled or not). */
function nonEmptyQuery(raw: Record<string, string | string[] | undefined>): URLSearchParams {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(raw)) {
    for (const item of [value ?? []].flat()) if (item.trim()) query.append(key, item.trim());
  }
  return query;
}

function withParams(base: string, query: URLSearchParams, set: Record<string, string | null>): string {
  const next = new URLSearchParams(query);
  for (const [key, value] of Object.entries(set)) {
    if (value === null) next.delete(key);
    else next.set(key, value);
  }
  const text = next.toString();
  return text ? `${base}?${text}` : base;
}

function traceUrl(traceId: string): string | undefined {
  return traceViewerUrl(serverConfig().traceUrlTemplate, traceId);
}

function actionClass(action: AuditAction): string {
  if (action.startsWith('session_') || action === 'logout') return styles.actionSession!;
  if (action.startsWith('transfer_') || action === 'qr_payment') return styles.actionMoney!;
  if (action === 'kyc_submitted') return styles.actionKyc!;
  return styles.actionAuth!;
}

interface Loaded {
  params?: AuditListParams;
  page?: AuditPage;
  /** How many entries match the filters (all pages), up to countAuditEntries' cap. */
  total?: { count: number; more: boolean };
  problems: string[];
}

const entriesInWords = ({ count, more }: { count: number; more: boolean }) =>
  more ? `More than ${count.toLocaleString('en-GB')} entries` : count === 1 ? '1 entry' : `${count.toLocaleString('en-GB')} entries`;

/** The reason a refused attempt names (`details.reason`), for the table. */
function reasonOf(details: string): string | undefined {
  try {
    const reason = (JSON.parse(details) as { reason?: unknown }).reason;
    return typeof reason === 'string' ? reason : undefined;
  } catch {
    return undefined;
  }
}

function prettyDetails(details: string): string {
  try {
    return JSON.stringify(JSON.parse(details), null, 2);
  } catch {
    return details;
  }
}

/** The filters as the API takes them (an email in the user field resolved to the user's id), for the export. */
function exportHref(params: AuditListParams | undefined): string | undefined {
  if (!params) return undefined;
  const query = new URLSearchParams({ format: 'ndjson' });
  const filters: Record<string, string | undefined> = {
    user_id: params.user_id,
    outcome: params.outcome,
    request_id: params.request_id,
    from: params.from === undefined ? undefined : new Date(params.from).toISOString(),
    to: params.to === undefined ? undefined : new Date(params.to).toISOString(),
  };
  for (const [key, value] of Object.entries(filters)) if (value !== undefined) query.set(key, value);
  for (const action of params.action ?? []) query.append('action', action);
  return `/api/admin/audit?${query.toString()}`;
}

async function load(query: URLSearchParams): Promise<Loaded> {
  const { db } = await getDatabase();
  // The user filter takes an email too: resolved here, the API itself filters by id.
  const user = query.get('user_id');
  const lookup = new URLSearchParams(query);
  if (user?.includes('@')) {
    const found = await findUserByEmail(db, user);
    if (!found) return { problems: [`User: no Drop user has the email “${user}”.`] };
    lookup.set('user_id', found.id);
  }
  let raw: Record<string, string | string[]>;
  try {
    raw = queryObject(lookup, ['action']);
  } catch (error) {
    if (error instanceof ValidationError) return { problems: error.issues.map((i) => filterProblemInWords(i, query)) };
    throw error;
  }
  if (!raw.limit) raw.limit = String(PAGE_SIZE);
  const parsed = auditListParams.safeParse(raw);
  if (!parsed.success) {
    return {
      problems: parsed.error.issues.map((i) => filterProblemInWords({ path: i.path.join('.') || 'query', message: i.message }, query)),
    };
  }
  const params = parsed.data;
  const filters = auditFilters(params);
  const [page, total] = await Promise.all([
    listAuditEntries(db, filters, { limit: params.limit ?? PAGE_SIZE, cursor: params.cursor }),
    countAuditEntries(db, filters),
  ]);
  page.entries = await revealAuditRows(db, getAuditKeyring(), page.entries);
  return { params, page, total, problems: [] };
}

/** The entry `?entry=<id>` names, decrypted as the table's are, for the detail panel. */
async function loadEntry(raw: string | null): Promise<AuditRow | undefined> {
  if (!raw || !/^\d{1,15}$/.test(raw)) return undefined;
  const { db } = await getDatabase();
  const row = await findAuditEntry(db, Number(raw));
  return row ? (await revealAuditRows(db, getAuditKeyring(), [row]))[0] : undefined;
}

function EntryDetail({ entry, email, closeHref }: { entry: AuditRow; email: string | undefined; closeHref: string }) {
  const trace = entry.request_id ? traceUrl(entry.request_id) : undefined;
  const fields: [string, ReactNode][] = [
    ['Entry', `#${entry.id}`],
    [
      'Time',
      <>
        <LocalTime iso={new Date(entry.timestamp).toISOString()} />{' '}
        <span className={styles.muted}>({new Date(entry.timestamp).toISOString()})</span>
      </>,
    ],
    ['User', entry.user_id ? `${email ?? 'unknown email'} · ${entry.user_id}` : 'unknown'],
    ['Action', entry.action],
    [
      'Outcome',
      <span key="outcome" className={entry.outcome === 'success' ? styles.outcomeSuccess : styles.outcomeFailure}>
        {entry.outcome}
      </span>,
    ],
    ['Reason', reasonOf(entry.details) ?? '—'],
    ['Resource', <code key="resource">{entry.resource}</code>],
    [
      'Details',
      <pre key="details" className={styles.details}>
        {prettyDetails(entry.details)}
      </pre>,
    ],
    ['IP address', entry.ip_address ?? '—'],
    ['User agent', entry.user_agent ?? '—'],
    [
      'Request',
      entry.request_id ? (
        <span key="request" className={styles.requestLinks}>
          <Link className={styles.link} href={withParams('/admin/audit', new URLSearchParams(), { request_id: entry.request_id })}>
            {entry.request_id}
          </Link>
          {trace ? (
            <a className={styles.link} href={trace} target="_blank" rel="noreferrer" data-testid="detail-trace-link">
              trace ↗
            </a>
          ) : null}
        </span>
      ) : (
        '—'
      ),
    ],
    ['Span', entry.span_id ?? '—'],
    ['Hash', <code key="hash">{entry.hash}</code>],
    ['Previous hash', <code key="prev">{entry.prev_hash}</code>],
  ];
  return (
    <section id="entry-detail" className={`card ${styles.detail}`} aria-label={`Audit entry ${entry.id}`} data-testid="audit-entry-detail">
      <div className={styles.header}>
        <h2>Entry #{entry.id}</h2>
        <Link className={styles.buttonSecondary} href={closeHref}>
          Close
        </Link>
      </div>
      <dl className={styles.detailFields}>
        {fields.map(([label, value]) => (
          <div key={label}>
            <dt>{label}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
    </section>
  );
}

export default async function AuditLogPage({ searchParams }: { searchParams: SearchParams }) {
  const fullQuery = nonEmptyQuery(await searchParams);
  const viewer = await requireUser(withParams('/admin/audit', fullQuery, {}));
  if (viewer.role !== 'admin') forbidden();

  // `entry` opens the detail panel; it is not a filter of the list.
  const entryId = fullQuery.get('entry');
  const query = new URLSearchParams([...fullQuery].filter(([key]) => key !== 'entry'));
  const [{ params, page, total, problems }, detail] = await Promise.all([load(query), loadEntry(entryId)]);
  const { db } = await getDatabase();
  const emails = await findUserEmails(
    db,
    [...(page?.entries ?? []), ...(detail ? [detail] : [])].flatMap((e) => (e.user_id ? [e.user_id] : [])),
  );
  const filterQuery = new URLSearchParams([...query].filter(([key]) => (FILTER_NAMES as readonly string[]).includes(key)));
  const exportLink = exportHref(params);

  return (
    <div className={styles.page}>
      <section className="card">
        <div className={styles.header}>
          <h1>Audit log</h1>
          <div className={styles.headerActions}>
            <ChainStatusBadge />
            {exportLink ? (
              <a className={styles.buttonSecondary} href={exportLink} download data-testid="export">
                Export (ndjson)
              </a>
            ) : null}
          </div>
        </div>
        <p className={styles.intro}>
          Every security and payment event, newest first. Entries are append-only and hash-chained; they are kept for 5 years.
        </p>
        {/* Keyed by the query: the fields are uncontrolled, and a client-side navigation (Reset, a filter link) would keep
            what they showed before. */}
        <form method="get" action="/admin/audit" className={styles.filters} aria-label="Filter the audit log" key={filterQuery.toString()}>
          <label>
            User (email or id)
            <input name="user_id" defaultValue={query.get('user_id') ?? ''} placeholder="email or user id" />
          </label>
          <label>
            Action
            <select name="action" defaultValue={query.get('action') ?? ''}>
              <option value="">Any action</option>
              {AUDIT_ACTIONS.map((action) => (
                <option key={action} value={action}>
                  {action}
                </option>
              ))}
            </select>
          </label>
          <label>
            Outcome
            <select name="outcome" defaultValue={query.get('outcome') ?? ''}>
              <option value="">Any outcome</option>
              <option value="success">success</option>
              <option value="failure">failure</option>
            </select>
          </label>
          <label>
            Request id
            <input name="request_id" defaultValue={query.get('request_id') ?? ''} placeholder="trace id" className={styles.mono} />
          </label>
          <label>
            From (UTC)
            <input name="from" type="datetime-local" step="1" defaultValue={query.get('from') ?? ''} />
          </label>
          <label>
            To (UTC)
            <input name="to" type="datetime-local" step="1" defaultValue={query.get('to') ?? ''} />
          </label>
          <div className={styles.filterButtons}>
            <Link className={styles.buttonSecondary} href="/admin/audit">
              Reset
            </Link>
            <button type="submit" className={styles.button}>
              Apply filters
            </button>
          </div>
        </form>
      </section>

      {detail ? (
        <EntryDetail
          entry={detail}
          email={detail.user_id ? emails.get(detail.user_id) : undefined}
          closeHref={withParams('/admin/audit', query, {})}
        />
      ) : entryId ? (
        <p className="error card" role="alert">
          There is no audit entry #{entryId}.
        </p>
      ) : null}
      <section className="card">
        {total && problems.length === 0 ? (
          <p className={styles.count} data-testid="audit-count">
            {entriesInWords(total)}
          </p>
        ) : null}
        {problems.length > 0 ? (
          <div role="alert" className="error" data-testid="audit-problems">
            {problems.map((p) => (
              <p key={p}>{p}</p>
            ))}
          </div>
        ) : page && page.entries.length === 0 ? (
          <p className={styles.empty}>No entries match these filters.</p>
        ) : page ? (
          <>
            <div className={styles.tableScroll}>
              <table className={styles.table} data-testid="audit-table">
                <thead>
                  <tr>
                    <th>Time</th>
                    <th>Actor</th>
                    <th>Action</th>
                    <th>Resource</th>
                    <th>Outcome</th>
                    <th>IP</th>
                    <th>Request</th>
                    <th />
                  </tr>
                </thead>
                <tbody>
                  {page.entries.map((entry) => {
                    const trace = entry.request_id ? traceUrl(entry.request_id) : undefined;
                    return (
                      <tr key={entry.id} data-entry-id={entry.id} className={detail?.id === entry.id ? styles.selected : undefined}>
                        <td title={new Date(entry.timestamp).toISOString()} className={styles.time}>
                          <LocalTime iso={new Date(entry.timestamp).toISOString()} />
                        </td>
                        <td className={`${styles.truncate} ${styles.actor}`}>
                          {entry.user_id ? (
                            <Link
                              className={styles.link}
                              href={withParams('/admin/audit', filterQuery, { user_id: entry.user_id, cursor: null })}
                            >
                              {emails.get(entry.user_id) ?? entry.user_id}
                            </Link>
                          ) : (
                            <span className={styles.muted}>unknown</span>
                          )}
                        </td>
                        <td className={styles.actionCell}>
                          <Link
                            className={actionClass(entry.action)}
                            href={withParams('/admin/audit', filterQuery, { action: entry.action, cursor: null })}
                          >
                            {entry.action}
                          </Link>
                        </td>
                        <td className={`${styles.mono} ${styles.truncate} ${styles.resource}`}>{entry.resource}</td>
                        <td className={entry.outcome === 'success' ? styles.outcomeSuccess : styles.outcomeFailure}>
                          {entry.outcome}
                          {reasonOf(entry.details) ? <span className={styles.reason}> · {reasonOf(entry.details)}</span> : null}
                        </td>
                        <td className={`${styles.mono} ${styles.ip}`}>{entry.ip_address ?? '—'}</td>
                        <td className={`${styles.mono} ${styles.request}`}>
                          {!entry.request_id ? (
                            <span className={styles.muted}>—</span>
                          ) : (
                            <span className={styles.requestLinks}>
                              <Link
                                className={styles.link}
                                href={withParams('/admin/audit', new URLSearchParams(), { request_id: entry.request_id })}
                                title={`Every entry of request ${entry.request_id}`}
                                data-testid="request-link"
                              >
                                {entry.request_id.slice(0, 12)}…
                              </Link>
                              {trace ? (
                                <a
                                  className={styles.link}
                                  href={trace}
                                  target="_blank"
                                  rel="noreferrer"
                                  title={`Trace ${entry.request_id}`}
                                  data-testid="trace-link"
                                >
                                  trace ↗
                                </a>
                              ) : null}
                            </span>
                          )}
                        </td>
                        <td className={styles.open}>
                          <Link
                            className={styles.link}
                            href={`${withParams('/admin/audit', query, { entry: String(entry.id) })}#entry-detail`}
                            data-testid="entry-details-link"
                            aria-label={`Details of entry ${entry.id}`}
                          >
                            Details
                          </Link>
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
            <nav className={styles.pager} aria-label="Pages">
              <span className={styles.muted} data-testid="audit-page-size">
                {page.entries.length === 1 ? '1 entry' : `${page.entries.length} entries`} on this page
              </span>
              <span className={styles.pagerLinks}>
                {page.prevCursor ? (
                  <Link className={styles.buttonSecondary} href={withParams('/admin/audit', query, { cursor: page.prevCursor })}>
                    ← Newer
                  </Link>
                ) : (
                  <span className={styles.disabled}>← Newer</span>
                )}
                {page.nextCursor ? (
                  <Link className={styles.buttonSecondary} href={withParams('/admin/audit', query, { cursor: page.nextCursor })}>
                    Older →
                  </Link>
                ) : (
                  <span className={styles.disabled}>Older →</span>
                )}
              </span>
            </nav>
          </>
        ) : null}
      </section>
    </div>
  );
}
