import { getDatabase } from '@/server/db';
import { pingDatabase } from '@/server/db/connect';
import { isDatabaseUnavailable } from '@/server/db/errors';
import { noteDatabaseAvailable, noteDatabaseUnavailable } from '@/server/db/outage';
import { appVersion } from '@/server/version';
import { json } from '@/server/http/respond';
import { answered } from '@/server/http/route';
import { otherMethods } from '@/server/http/methods';

export const dynamic = 'force-dynamic';

const PING_TIMEOUT_MS = 2_000;

async function checkDatabase(): Promise<{ ok: boolean; latencyMs: number }> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('database ping timed out')), PING_TIMEOUT_MS);
    });
    await Promise.race([getDatabase().then((h) => pingDatabase(h.db)), timeout]);
    noteDatabaseAvailable();
    return { ok: true, latencyMs: Math.round((performance.now() - started) * 100) / 100 };
  } catch (error) {
    if (isDatabaseUnavailable(error)) noteDatabaseUnavailable(error);
    return { ok: false, latencyMs: Math.round(performance.now() - started) };
  } finally {
    clearTimeout(timer);
  }
}

// answered(), not route(): health must answer (503) when the database cannot even be opened.
export const GET = answered(async () => {
  const db = await checkDatabase();
  const body = {
    status: db.ok ? 'ok' : 'degraded',
    db,
    uptimeSeconds: Math.round(process.uptime()),
    version: appVersion,
  };
  return json(body, db.ok ? 200 : 503);
});

export const { POST, PUT, PATCH, DELETE, OPTIONS } = otherMethods({ GET });
