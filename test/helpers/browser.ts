import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's Chromium (`apt-get install chromium`); CHROMIUM_PATH elsewhere (e.g. google-chrome on GitHub runners). */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

// Headless as root, and no background traffic: this machine's closed network refuses it noisily.
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
}

/** Waits until every time on the page has been rewritten into the viewer's zone (LocalTime, after hydration). */
export async function localized(page: Page): Promise<void> {
  await page.waitForFunction(() => document.querySelectorAll('time:not([data-local])').length === 0, undefined, { timeout: 15_000 });
}
