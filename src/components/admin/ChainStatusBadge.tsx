'use client';

import { useEffect, useState } from 'react';
import styles from '@/app/admin/audit/audit.module.css';

interface ChainStatus {
  ok: boolean;
  entries: number;
  lastId: number;
  firstBroken: { id: number; message: string } | null;
}

type State = { kind: 'checking' } | { kind: 'done'; status: ChainStatus } | { kind: 'error' };

/** Verifies the whole chain in the background (it can take seconds on a long trail) and shows the outcome. */
export function ChainStatusBadge() {
  const [state, setState] = useState<State>({ kind: 'checking' });
  useEffect(() => {
    let live = true;
    fetch('/api/admin/audit/verify', { credentials: 'same-origin', cache: 'no-store' })
      .then(async (res) => {
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        const status = (await res.json()) as ChainStatus;
        if (live) setState({ kind: 'done', status });
      })
      .catch(() => live && setState({ kind: 'error' }));
    return () => {
      live = false;
    };
  }, []);

  if (state.kind === 'checking') {
    return (
      <span className={`${styles.chain} ${styles.chainChecking}`} data-testid="chain-status">
        Checking chain…
      </span>
    );
  }
  if (state.kind === 'error') {
    return (
      <span className={`${styles.chain} ${styles.chainBroken}`} data-testid="chain-status">
        Chain status unavailable
      </span>
    );
  }
  const { status } = state;
  return status.ok ? (
    <span className={`${styles.chain} ${styles.chainOk}`} data-testid="chain-status" title={`Newest entry #${status.lastId}`}>
      ✓ Chain intact · {status.entries.toLocaleString('en')} entries
    </span>
  ) : (
    <span className={`${styles.chain} ${styles.chainBroken}`} data-testid="chain-status" title={status.firstBroken?.message}>
      ✗ Chain broken at #{status.firstBroken?.id}
    </span>
  );
}
