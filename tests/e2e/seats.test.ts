import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { launchBrowser, saveScreenshot } from './support/browser.ts';
import { playerToken, signInAs } from './support/players.ts';
import { type RunningPortal, startPortal } from './support/portal.ts';
import { waitForEveryTilePainted } from './support/screens.ts';
import { demoEnvironment } from './support/session.ts';
import { nextLineIsPrompt } from './support/shell.ts';

// Seats (issue 20) in Chromium, on the real portal with real QEMU: two demo
// players (A = player-1, B = player-2) and the guest, whom app-config.yaml's
// demo policy makes the only manager, each in a browser context of their own.
const INSTANCES = 4;
const A = 'player-1';
const B = 'player-2';
const MANAGER_REF = 'user:development/guest';
let portal: RunningPortal;
let closeBrowser: () => Promise<void>;
let configFile: string;
let a: Page;
let b: Page;
let m: Page;

before(async () => {
  configFile = path.join(os.tmpdir(), `loco-e2e-seats-${process.pid}.json`);
  await fs.writeFile(
    configFile,
    JSON.stringify({ loco: demoEnvironment(INSTANCES) }),
  );
  // Seats live in the backend's database: in files here, so they can outlive
  // the restart below (npm start's SQLite is in memory).
  portal = await startPortal({
    name: 'seats',
    extraConfig: [configFile],
    fileDatabase: true,
  });
  const launched = await launchBrowser().catch(async error => {
    await portal.stop();
    throw error;
  });
  closeBrowser = launched.close;
  a = await signInAs(launched.browser, portal.baseUrl, A);
  b = await signInAs(launched.browser, portal.baseUrl, B);
  m = await signInAs(launched.browser, portal.baseUrl, 'guest');
});

after(async () => {
  for (const [page, who] of [
    [a, 'a'],
    [b, 'b'],
    [m, 'manager'],
  ] as const) {
    if (page)
      await saveScreenshot(page, `seats-${who}-last-state`).catch(() => {});
  }
  await closeBrowser?.();
  await portal?.stop();
  if (configFile) await fs.rm(configFile, { force: true });
});

const LOCO_TAB = '/catalog/default/resource/loco-demo/loco';

async function openLocoTab(page: Page) {
  await page.goto(`${portal.baseUrl}${LOCO_TAB}`);
  // A fresh clone cold-boots the instances first.
  await waitForEveryTilePainted(page, INSTANCES, 300_000);
}

/** The seats as the API lists them: instance index → holder's entity ref. */
async function listedSeats(): Promise<Record<number, string>> {
  const token = await playerToken(portal.baseUrl, A);
  const response = await fetch(
    `${portal.baseUrl}/api/loco/environments/loco-demo/seats`,
    { headers: { Authorization: `Bearer ${token}` } },
  );
  assert.equal(response.status, 200);
  const body = (await response.json()) as {
    seats: Array<{ index: number; holder: string }>;
  };
  return Object.fromEntries(body.seats.map(s => [s.index, s.holder]));
}

/** Waits (bounded) until `page`'s tile `index` names its seat holder `name`. */
async function holderShown(page: Page, index: number, name: string) {
  await page
    .locator(
      `[data-testid="loco-tile-${index}"] [data-testid="loco-seat-holder"]`,
    )
    .filter({ hasText: name })
    .waitFor({ timeout: 15_000 });
}

/** `who` runs a command on tile `index`, and the shell answers with a new prompt. */
async function plays(who: Page, index: number, what: string) {
  assert.ok(
    await nextLineIsPrompt(who, index),
    `${what}: typing reached the guest`,
  );
}

/** `intruder`'s keys on tile `index` never reach the guest while `holder` plays it (see nextLineIsPrompt). */
async function dropped(
  intruder: Page,
  holder: Page,
  index: number,
  what: string,
) {
  assert.ok(
    await nextLineIsPrompt(holder, index, intruder),
    `${what}: the shell never saw the intruder's keys`,
  );
  await saveScreenshot(holder, `seats-${what}`);
}

test("the proof sees another user's keys where nobody holds a seat", async () => {
  await openLocoTab(a);
  await openLocoTab(b);
  // Instance 0 has no seat: whoever has control types, so B's keys do reach
  // the guest and the check must say so (what makes its "dropped" mean something).
  assert.equal(await nextLineIsPrompt(a, 0, b), false);
  await saveScreenshot(a, 'seats-no-seat-both-type');
});

test('A claims instance 2 and types; B sees it taken and her typing there is dropped by the server', async () => {
  await a.getByRole('button', { name: 'Play loco-demo-2' }).click();
  await holderShown(a, 2, 'Player 1');
  assert.deepEqual(await listedSeats(), { 2: `user:default/${A}` });
  // The holder's name from the catalog reaches the other player's tab.
  await holderShown(b, 2, 'Player 1');
  assert.equal(
    await b.getByRole('button', { name: 'Play loco-demo-2' }).count(),
    0,
  );
  await plays(a, 2, 'A on her seat');
  await dropped(b, a, 2, 'b-on-a-seat');
  // Players are not managers: nobody offers B a take-over.
  assert.equal(
    await b.getByTestId('loco-seat-list').getByText('Take over').count(),
    0,
  );
});

test('B claims and plays instance 3 meanwhile', async () => {
  await b.getByRole('button', { name: 'Play loco-demo-3' }).click();
  await holderShown(b, 3, 'Player 2');
  await holderShown(a, 3, 'Player 2');
  await plays(b, 3, 'B on instance 3');
  assert.deepEqual(await listedSeats(), {
    2: `user:default/${A}`,
    3: `user:default/${B}`,
  });
});

test('A releases instance 2; B (one seat per user) leaves 3, claims 2 and types', async () => {
  await a.getByRole('button', { name: 'Leave seat on loco-demo-2' }).click();
  await b.getByRole('button', { name: 'Leave seat on loco-demo-3' }).click();
  // B's tab learns from its polling that 2 is free: Play comes back.
  await b.getByRole('button', { name: 'Play loco-demo-2' }).click();
  await holderShown(b, 2, 'Player 2');
  await holderShown(a, 2, 'Player 2');
  assert.deepEqual(await listedSeats(), { 2: `user:default/${B}` });
  await plays(b, 2, 'B on instance 2');
  await dropped(a, b, 2, 'a-on-b-seat');
});

test('the manager takes instance 2 over: B watches, the manager plays', async () => {
  await openLocoTab(m);
  await m
    .getByTestId('loco-seat-2')
    .getByRole('button', { name: 'Take over' })
    .click();
  await holderShown(m, 2, MANAGER_REF);
  await holderShown(b, 2, MANAGER_REF);
  assert.deepEqual(await listedSeats(), { 2: MANAGER_REF });
  await plays(m, 2, 'the manager on instance 2');
  await dropped(b, m, 2, 'b-after-take-over');
});

test('a backend restart keeps the seat: listed, shown and enforced', async () => {
  await portal.restart();
  assert.deepEqual(await listedSeats(), { 2: MANAGER_REF });
  // Reloaded tabs sign their person in again (the choice is remembered).
  for (const page of [m, b]) {
    await page.reload();
    await waitForEveryTilePainted(page, INSTANCES, 300_000);
  }
  await holderShown(b, 2, MANAGER_REF);
  await plays(m, 2, 'the manager after the restart');
  await dropped(b, m, 2, 'b-after-restart');
});
