import { type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/browser';
import { DEMO_PASSWORD, type AppServer } from '../helpers/app-server';
import { DIALECTS } from '../helpers/databases';
import type { SentryEvent, SentryIngest } from '../helpers/sentry-ingest';
import { useStack } from '../helpers/stack';

const settled = { timeout: 15_000, interval: 100 };

const fromBrowser = (e: SentryEvent) => e.sdk?.name === 'sentry.javascript.browser';
const fromServer = (e: SentryEvent) => e.sdk?.name === 'sentry.javascript.node';

let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

async function signInAsAdmin(page: Page, app: AppServer): Promise<void> {
  await page.goto(`${app.url}/login`);
  await page.getByLabel('Email').fill('admin@drop.test');
  await page.getByLabel('Password').fill(DEMO_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${app.url}/`);
}

describe.each(DIALECTS)('Sentry in the browser, on %s', (dialect) => {
  const stack = useStack({
    dialect,
    // NEXT_PUBLIC_SENTRY_DSN is read by the server at run time and handed to the page (GET /api/client-config):
    // the build has no DSN.
    sentry: { browser: true },
    env: {
      SENTRY_ENVIRONMENT: 'e2e-browser',
      // The defaults: release drop@<version>, every trace sampled (so the browser's traceparent is sampled).
      SENTRY_RELEASE: undefined,
      GIT_SHA: undefined,
      SOURCE_COMMIT: undefined,
      SENTRY_TRACES_SAMPLE_RATE: undefined,
      OTEL_TRACES_SAMPLER: undefined,
      // No OTEL_EXPORTER_OTLP_ENDPOINT, no collector: traces and logs go straight to Sentry's OTLP ingest.
      OTEL_EXPORTER_OTLP_ENDPOINT: undefined,
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_LOGS_EXPORTER: 'otlp',
      OTEL_BSP_SCHEDULE_DELAY: '200',
      OTEL_BLRP_SCHEDULE_DELAY: '200',
    },
  });
  let ingest: SentryIngest;
  let app: AppServer;
  beforeAll(() => {
    ({ app, sentry: ingest } = stack());
  });

  it('reports an error thrown in the page, and puts a failing API call and its server error on one trace', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));

    await signInAsAdmin(page, app);
    await page.goto(`${app.url}/admin/debug`);
    await expect.poll(() => page.evaluate(() => '__SENTRY__' in window), settled).toBe(true);

    // 1. An error thrown in an event handler: the SDK's global handler reports it.
    await page.getByRole('button', { name: 'Throw in the browser' }).click();
    const thrown = await ingest.waitFor(
      () => ingest.events().find((e) => fromBrowser(e) && e.exception?.values?.[0]?.value?.startsWith('Deliberate browser error')),
      15_000,
      'the browser error event',
    );
    expect(thrown.environment).toBe('e2e-browser');
    expect(thrown.release).toBe('drop@0.1.0');
    expect(thrown.exception?.values?.[0]?.mechanism?.handled).toBe(false);
    expect(thrown.user ?? {}).toEqual({});

    // 2. A same-origin API call carries traceparent; the server's span, log lines and Sentry event use its trace.
    const requestSeen = page.waitForRequest((r) => r.url().endsWith('/api/admin/debug/error'));
    const responseSeen = page.waitForResponse((r) => r.url().endsWith('/api/admin/debug/error'));
    await page.getByRole('button', { name: 'Fail an API request' }).click();
    const traceparent = (await requestSeen).headers().traceparent ?? '';
    expect(traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    const traceId = traceparent.split('-')[1]!;
    const response = await responseSeen;
    expect(response.status()).toBe(500);
    expect(response.headers()['x-request-id']).toBe(traceId);
    await expect.poll(() => page.getByRole('status').textContent(), settled).toBe(`The server answered with an error (trace ${traceId})`);

    const browserEvent = await ingest.waitFor(
      () => ingest.events().find((e) => fromBrowser(e) && e.exception?.values?.[0]?.value === 'Something went wrong on our side'),
      15_000,
      'the browser event of the failed call',
    );
    expect(browserEvent.contexts?.trace?.trace_id).toBe(traceId);
    const serverEvent = await ingest.waitFor(
      () => ingest.events().find((e) => fromServer(e) && e.tags?.request_id === traceId),
      15_000,
      'the server event of the failed call',
    );
    expect(serverEvent.contexts?.trace?.trace_id).toBe(traceId);
    // The server's spans, sent over OTLP straight to Sentry (no collector here), with the DSN's key. Next's server
    // span is a child of the browser's fetch span; it ends last, so it may come in a later export than the others.
    const browserSpanId = traceparent.split('-')[2];
    await ingest.waitFor(
      () =>
        ingest.otlpSpans.some((s) => s.traceId === traceId && s.attributes['http.route'] === '/api/admin/debug/error') &&
        ingest.otlpSpans.some((s) => s.traceId === traceId && s.parentSpanId === browserSpanId),
      15_000,
      'the server spans of the failed call',
    );
    expect(ingest.otlpSpans.filter((s) => s.traceId === traceId && s.parentSpanId === browserSpanId)).toHaveLength(1);
    const auth = ingest.otlpRequests.map((r) => r.headers['x-sentry-auth']);
    expect(auth.length).toBeGreaterThan(0);
    for (const header of auth) expect(header).toContain(`sentry_key=${ingest.publicKey}`);
    await ingest.waitFor(() => ingest.otlpLogs.find((l) => l.traceId === traceId), 10_000, "the request's OTLP log records");
    expect(app.logRecords().some((l) => l.trace_id === traceId && l['event.name'] === 'http.access')).toBe(true);

    expect(pageErrors).toContain('Deliberate browser error to check the monitoring pipeline');
    expect(ingest.rejected).toEqual([]);
    await context.close();
  });
});
