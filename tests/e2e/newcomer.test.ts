// The portal as a newcomer meets it (issue 23, points 1-4), in Chromium
// against the real portal: landing after "Enter", the post-create link,
// fullscreen controls, and the destroy form's confirmation. One small portal
// (a one-instance demo) serves every check.
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Page } from 'playwright-core';
import {
  launchBrowser,
  saveScreenshot,
  signInAsGuest,
} from './support/browser.ts';
import {
  guestToken,
  type RunningPortal,
  startPortal,
} from './support/portal.ts';
import { pixelsStandingOut } from './support/pixels.ts';

const MINE = 'newcomer-mine';
let portal: RunningPortal;
let closeBrowser: () => Promise<void>;
let page: Page;
let token: string;

async function api(method: string, route: string, body?: unknown) {
  const response = await fetch(`${portal.baseUrl}${route}`, {
    method,
    headers: {
      Authorization: `Bearer ${token}`,
      ...(body ? { 'Content-Type': 'application/json' } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  return { status: response.status, json: text ? JSON.parse(text) : null };
}

async function until<T>(
  what: string,
  fn: () => Promise<T | undefined>,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not in time`);
    await sleep(1000);
  }
}

before(async () => {
  const small = path.join(os.tmpdir(), `loco-e2e-newcomer-${process.pid}.json`);
  await fs.writeFile(
    small,
    JSON.stringify({
      loco: {
        local: {
          environments: [
            {
              name: 'loco-demo',
              instances: 1,
              image: 'demo',
              storageMode: 'persistent',
              owner: 'group:default/guests',
            },
          ],
        },
      },
    }),
  );
  portal = await startPortal({ extraConfig: [small] });
  token = await guestToken(portal.baseUrl);
  const launched = await launchBrowser();
  closeBrowser = launched.close;
  page = await launched.browser.newPage({
    viewport: { width: 1440, height: 900 },
  });
});

after(async () => {
  if (page)
    await saveScreenshot(page, 'newcomer-last-state').catch(() => undefined);
  await closeBrowser?.();
  // Never leave emulators behind, whatever failed.
  if (portal && token) {
    const mine = await api('GET', `/api/loco/environments/${MINE}`).catch(
      () => undefined,
    );
    if (mine?.status === 200) await runTemplate('destroy', { confirm: true });
  }
  await portal?.stop();
});

/** Runs a Loco template as the guest through the scaffolder's task API. */
async function runTemplate(
  which: 'create' | 'destroy',
  values: Record<string, unknown>,
) {
  const template = `${which}-loco-environment`;
  await until(
    `${template} in the catalog`,
    async () =>
      (
        await api(
          'GET',
          `/api/catalog/entities/by-name/template/default/${template}`,
        )
      ).status === 200 || undefined,
    120_000,
  );
  const created = await api('POST', '/api/scaffolder/v2/tasks', {
    templateRef: `template:default/${template}`,
    values: { name: MINE, runtime: 'local', ...values },
    secrets: {},
  });
  assert.equal(created.status, 201, JSON.stringify(created.json));
  const id = created.json.id as string;
  const status = await until(
    `task ${id}`,
    async () => {
      const r = await api('GET', `/api/scaffolder/v2/tasks/${id}`);
      return ['completed', 'failed', 'cancelled'].includes(r.json?.status)
        ? (r.json.status as string)
        : undefined;
    },
    300_000,
  );
  return { id, status };
}

const inCatalog = async (name: string) =>
  (await api('GET', `/api/catalog/entities/by-name/resource/default/${name}`))
    .status === 200;

test('4. after "Enter" the newcomer lands in the catalog, on the kind where the demo is', async () => {
  await signInAsGuest(page, portal.baseUrl);
  await page.waitForURL(/\/catalog/, { timeout: 30_000 });
  await page.getByRole('link', { name: 'loco-demo' }).waitFor({
    timeout: 60_000,
  });
  const text = await page.locator('body').innerText();
  assert.doesNotMatch(text, /page not found|404/i);
  assert.match(text, /Kind\s+Resource\b/, 'the kind filter is on Resource');
  assert.match(text, /All Resources/, 'the table lists Resources');
  await saveScreenshot(page, 'newcomer-after-enter');
});

test('2. "Open the Loco tab" right after a create waits for the catalog and lands on live screens', async t => {
  const create = await runTemplate('create', {
    owner: 'group:default/guests',
    instances: 1,
    storageMode: 'ephemeral',
    snapshotTag: 'demo',
    wait: false,
  });
  assert.equal(create.status, 'completed');
  const earlyInCatalog = await inCatalog(MINE);
  await page.goto(`${portal.baseUrl}/create/tasks/${create.id}`);
  await page.getByText('Open the Loco tab (live screens)').click();
  await page.waitForURL(new RegExp(`/catalog/default/resource/${MINE}/loco$`), {
    timeout: 120_000,
  });
  await page.getByTestId('loco-tile-0').waitFor({ timeout: 60_000 });
  const text = await page.locator('body').innerText();
  assert.doesNotMatch(text, /Entity not found/);
  assert.match(text, new RegExp(`${MINE}-0`));
  await saveScreenshot(page, 'newcomer-after-create');
  // Whether the wait was needed depends on the catalog's schedule; say which.
  t.diagnostic(`in the catalog when the task ended: ${earlyInCatalog}`);
});

test("3. in fullscreen the tile's controls stand out from the dark page", async () => {
  await page.goto(`${portal.baseUrl}/catalog/default/resource/loco-demo/loco`);
  const tile = page.getByTestId('loco-tile-0');
  await page.waitForFunction(
    () =>
      document
        .querySelector('[data-testid="loco-tile-0"]')
        ?.getAttribute('data-state') === 'live',
    null,
    { timeout: 300_000 },
  );
  await page.getByRole('button', { name: 'Fullscreen loco-demo-0' }).click();
  await page.waitForFunction(
    () =>
      document.fullscreenElement?.getAttribute('data-testid') === 'loco-tile-0',
  );
  // Let the tooltip of the clicked button go, then judge each header icon.
  await page.mouse.move(0, 0);
  await page.waitForTimeout(1000);
  try {
    for (const name of [
      'Fullscreen loco-demo-0',
      'Screenshot loco-demo-0',
      'Reconnect loco-demo-0',
      'More for loco-demo-0',
    ]) {
      // WCAG's 3:1 for the parts of controls. A drawn glyph has at least
      // as many such pixels as the icon is tall (one stroke across it);
      // black on black has none.
      const button = tile.getByRole('button', { name });
      const iconHeight = Math.round(
        (await button.locator('svg').boundingBox())?.height ?? 0,
      );
      const visible = await pixelsStandingOut(page, button, 3);
      assert.ok(
        iconHeight > 0 && visible >= iconHeight,
        `${name}: ${visible} pixels stand out, icon ${iconHeight} px tall`,
      );
    }
    await saveScreenshot(page, 'newcomer-fullscreen', { fullPage: false });
  } finally {
    await page.evaluate(() => document.exitFullscreen());
  }
});

test('1. destroying asks for the environment by name, never offers the demo, and says "Destroy"', async () => {
  // The environment test 2 created; the picker's mark of the demo comes
  // from the catalog, so it must be there too.
  await until(
    `${MINE} in the catalog`,
    async () => (await inCatalog(MINE)) || undefined,
    60_000,
  );
  await page.goto(
    `${portal.baseUrl}/create/templates/default/destroy-loco-environment`,
  );
  const confirm = page.getByLabel(/Type the environment's name to confirm/);
  await confirm.waitFor({ timeout: 60_000 });
  assert.equal(await confirm.inputValue(), '', 'the confirmation starts empty');
  assert.equal(await page.getByRole('checkbox').count(), 0);

  await page
    .getByRole('button', { name: /Environment/ })
    .first()
    .click();
  const options = await page.getByRole('option').allInnerTexts();
  assert.deepEqual(options, [`${MINE} (local, local)`]);
  await page.getByRole('option', { name: new RegExp(MINE) }).click();

  // A wrong or partial name does not go on.
  await confirm.fill('newcomer');
  await page.getByRole('button', { name: 'Next' }).click();
  await page.getByText(`Type ${MINE} to confirm`).first().waitFor();
  assert.equal((await page.getByText('Where it runs').count()) > 0, true);
  await saveScreenshot(page, 'newcomer-destroy-refused');

  await confirm.fill(MINE);
  await page.getByRole('button', { name: 'Next' }).click();
  await page.getByRole('button', { name: 'Review' }).click();
  const destroy = page.getByRole('button', { name: 'Destroy' });
  await destroy.waitFor({ timeout: 30_000 });
  assert.equal(await page.getByRole('button', { name: 'Create' }).count(), 0);
  const review = await page.locator('table').first().innerText();
  const rows = review.split('\n').filter(l => l.trim());
  assert.match(rows[0], /^Environment\s+newcomer-mine/, review);
  await saveScreenshot(page, 'newcomer-destroy-review');

  await destroy.click();
  await page
    .getByText(`${MINE}** was destroyed`)
    .or(page.getByText(`was destroyed`))
    .first()
    .waitFor({ timeout: 120_000 });
  assert.equal(
    (await api('GET', `/api/loco/environments/${MINE}`)).status,
    404,
  );
  assert.equal(
    (await api('GET', '/api/loco/environments/loco-demo')).status,
    200,
  );
});
