import fs from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ROOT } from './portal.ts';

/**
 * Debian's Chromium, headless, with the flags that work on a machine without
 * network. Playwright gives every launch a fresh temporary profile.
 */
export async function launchBrowser(
  /** More Chromium flags (a bench's peer page needs one). */
  extraArgs: string[] = [],
): Promise<{
  browser: Browser;
  close(): Promise<void>;
}> {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      ...extraArgs,
    ],
  });
  return {
    browser,
    async close() {
      await browser.close();
    },
  };
}

/** Signs in through the portal's own guest sign-in page. */
export async function signInAsGuest(
  page: Page,
  baseUrl: string,
): Promise<void> {
  await page.goto(baseUrl);
  const enter = page.getByRole('button', { name: /enter/i });
  await enter.click();
  // Signed in once the sign-in page has gone and the app shell is up.
  await enter.waitFor({ state: 'detached', timeout: 30_000 });
  await page.getByText('Catalog').first().waitFor({ timeout: 30_000 });
}

/** Saves a PNG under test-results/. Full-page shots do not work while an element is fullscreen. */
export async function saveScreenshot(
  page: Page,
  name: string,
  options: { fullPage?: boolean } = {},
): Promise<string> {
  const dir = path.join(ROOT, 'test-results');
  await fs.mkdir(dir, { recursive: true });
  const file = path.join(dir, `${name}.png`);
  await page.screenshot({ path: file, fullPage: options.fullPage ?? true });
  return file;
}
