import fs from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { DEMO_PASSWORD } from './app-server';
import { HttpClient } from './http-client';

/** Where the page tests save their screenshots, for a person to look at (test-results/ is git-ignored). */
export const SCREENSHOT_DIR = process.env.DROP_SCREENSHOT_DIR ?? path.resolve(import.meta.dirname, '../../test-results/screenshots');

/** How long a page may take to show what a step expects (a refresh re-renders it on the server). */
export const settled = { timeout: 15_000, interval: 100 };

export interface WatchedPage {
  context: BrowserContext;
  page: Page;
  /**
   * Everything that went wrong so far in the page or any other page (tab) of its context: uncaught exceptions,
   * console errors and CSP violations (the `securitypolicyviolation` events, recorded from before any script of the
   * page runs). A failed request the test provokes on purpose is a console error too; pass its status to leave it out.
   */
  problems(options?: { expectedStatuses?: number[] }): Promise<string[]>;
  /** A full-page PNG under SCREENSHOT_DIR; returns its path. */
  screenshot(name: string): Promise<string>;
  close(): Promise<void>;
}

export async function watchedPage(
  browser: Browser,
  options: { width?: number; height?: number; timezoneId?: string; isMobile?: boolean } = {},
): Promise<WatchedPage> {
  const context = await browser.newContext({
    viewport: { width: options.width ?? 1100, height: options.height ?? 900 },
    locale: 'en-GB',
    timezoneId: options.timezoneId,
    isMobile: options.isMobile,
    hasTouch: options.isMobile,
  });
  await context.addInitScript(() => {
    const seen: string[] = [];
    (window as unknown as { __cspViolations: string[] }).__cspViolations = seen;
    document.addEventListener('securitypolicyviolation', (e) =>
      seen.push(`csp: ${e.effectiveDirective} blocked ${e.blockedURI || 'inline'}`),
    );
  });
  const seen: string[] = [];
  // Every page of the context is watched, a second tab opened by the test too.
  context.on('page', (opened) => {
    opened.setDefaultTimeout(15_000);
    opened.on('pageerror', (error) => seen.push(`pageerror: ${error.message}`));
    opened.on('console', (message) => {
      if (message.type() === 'error' || /Content Security Policy|Refused to/i.test(message.text())) {
        seen.push(`console.${message.type()}: ${message.text()} (${message.location().url})`);
      }
    });
  });
  const page = await context.newPage();
  return {
    context,
    page,
    async problems({ expectedStatuses = [] } = {}) {
      const violations = (
        await Promise.all(
          context
            .pages()
            .map((opened) =>
              opened
                .evaluate(() => (window as unknown as { __cspViolations?: string[] }).__cspViolations ?? [])
                .catch(() => ['(the page could not be asked for its CSP violations)']),
            ),
        )
      ).flat();
      const expected = (line: string) => expectedStatuses.some((status) => line.includes(`status of ${status}`));
      return [...seen.filter((line) => !expected(line)), ...violations];
    },
    async screenshot(name) {
      fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
      const file = path.join(SCREENSHOT_DIR, `${name}.png`);
      await page.screenshot({ path: file, fullPage: true });
      return file;
    },
    close: () => context.close(),
  };
}

/** Signs the browser context in by the API (fast) and returns the client holding the same session. */
export async function signInContext(
  context: BrowserContext,
  baseUrl: string,
  email: string,
  password = DEMO_PASSWORD,
): Promise<HttpClient> {
  const client = new HttpClient(baseUrl);
  const res = await client.login(email, password);
  if (res.status !== 200) throw new Error(`login of ${email} answered ${res.status}: ${res.text}`);
  await context.addCookies([{ name: 'drop_session', value: client.cookie('drop_session')!, url: baseUrl }]);
  return client;
}

/** Signs in through the login page, as a person does. */
export async function signInThroughPage(page: Page, baseUrl: string, email: string, password = DEMO_PASSWORD): Promise<void> {
  await page.goto(`${baseUrl}/login`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.waitForURL(`${baseUrl}/`);
}
