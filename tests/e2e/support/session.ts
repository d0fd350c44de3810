import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { launchBrowser, saveScreenshot } from './browser.ts';
import { guestToken, type RunningPortal, startPortal } from './portal.ts';

/** What one e2e file drives: its own portal, one Chromium page, a guest token for API checks. */
export interface PortalSession {
  portal: RunningPortal;
  page: Page;
  token: string;
  /** Keeps a picture of where the page ended up (test-results/<name>.png), then stops it all. */
  close(): Promise<void>;
}

/**
 * Starts the portal (on a free port, with state and LANs of its own: see
 * startPortal) with `config` (JSON is YAML) as one more config file — config
 * arrays replace, so an environment list there is the whole list — and opens
 * a page in Debian's Chromium.
 */
export async function openPortalSession(options: {
  name: string;
  config?: object;
  viewport?: { width: number; height: number };
}): Promise<PortalSession> {
  const extraConfig: string[] = [];
  if (options.config) {
    const file = path.join(
      os.tmpdir(),
      `loco-e2e-${options.name}-${process.pid}-config.json`,
    );
    await fs.writeFile(file, JSON.stringify(options.config));
    extraConfig.push(file);
  }
  const portal = await startPortal({ name: options.name, extraConfig });
  const browser = await launchBrowser().catch(async error => {
    await portal.stop();
    throw error;
  });
  const page = await browser.browser.newPage({
    viewport: options.viewport ?? { width: 1400, height: 1000 },
  });
  const token = await guestToken(portal.baseUrl);
  return {
    portal,
    page,
    token,
    async close() {
      await saveScreenshot(page, `${options.name}-last-state`).catch(
        () => undefined,
      );
      await browser.close();
      await portal.stop();
    },
  };
}

/** The demo environment with `instances` emulators, as an extra config's `loco` section. */
export function demoEnvironment(
  instances: number,
  extra: Record<string, unknown> = {},
) {
  return {
    local: {
      environments: [
        {
          name: 'loco-demo',
          instances,
          image: 'demo',
          storageMode: 'persistent',
          ...extra,
        },
      ],
    },
  };
}
