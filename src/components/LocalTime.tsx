'use client';

import { useEffect, useState } from 'react';
import { formatDateTime, relativeTime } from '@/lib/time';

/**
 * A moment in the viewer's own time zone, in Drop's one format ("6 Dec 2026, 14:05"), with how long ago (or how
 * soon) when `relative`. The server does not know the viewer's zone: its HTML says UTC, and the browser rewrites
 * it once mounted (the first render matches the server's, so hydration agrees).
 */
export function LocalTime({ iso, relative = false }: { iso: string; relative?: boolean }) {
  const [zone, setZone] = useState<string | null>(null);
  useEffect(() => {
    // eslint-disable-next-line react-hooks/set-state-in-effect -- the zone exists only in the browser, after hydration
    setZone(Intl.DateTimeFormat().resolvedOptions().timeZone);
  }, []);
  const date = new Date(iso);
  const absolute = zone ? formatDateTime(date, zone) : `${formatDateTime(date, 'UTC')} UTC`;
  return (
    <time dateTime={iso} title={zone ? `${absolute} (${zone})` : absolute} data-local={zone ? 'true' : undefined}>
      {absolute}
      {relative && zone ? <span className="muted"> · {relativeTime(date, new Date())}</span> : null}
    </time>
  );
}
