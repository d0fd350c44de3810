// The measurements behind bench/wall/run.ts (see there).
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { importBundled } from '../../tests/emulator-image/helpers/bundle.ts';
import {
  launchBrowser,
  signInAsGuest,
} from '../../tests/e2e/support/browser.ts';
import { typeIntoGuest } from '../../tests/e2e/support/guestKeyboard.ts';
import { guestToken, startPortal } from '../../tests/e2e/support/portal.ts';
import { waitForEveryTilePainted } from '../../tests/e2e/support/screens.ts';
import { demoEnvironment } from '../../tests/e2e/support/session.ts';
import { measureUsage } from './cpu.ts';
import {
  installPaintWatch,
  paintAfter,
  paintOnLoad,
  type PaintTimes,
} from './paint.ts';
import { installPhaseWatch, readPhases } from './phases.ts';
import { peerStatus, servePeer } from './peer.ts';
import { printReport, type Side } from './report.ts';

type Contract = typeof import('./contract.entry.ts');
const { MAX_INSTANCES, VNC_TOKEN_PROTOCOL_PREFIX } =
  await importBundled<Contract>(
    path.join(import.meta.dirname, 'contract.entry.ts'),
  );

function flag(name: string, env: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  const raw = at >= 0 ? process.argv[at + 1] : process.env[env];
  const value = Number(raw ?? fallback);
  if (!Number.isFinite(value) || value <= 0)
    throw new Error(`--${name}: ${raw} is not a positive number`);
  return value;
}
const COUNT = flag('instances', 'LOCO_BENCH_WALL_INSTANCES', 9);
if (!Number.isInteger(COUNT) || COUNT > MAX_INSTANCES)
  throw new Error(`--instances must be 1..${MAX_INSTANCES}`);
const ROUNDS = flag('rounds', 'LOCO_BENCH_WALL_ROUNDS', 5);
const CPU_ROUNDS = flag('cpu-rounds', 'LOCO_BENCH_WALL_CPU_ROUNDS', 3);
const CPU_MS = flag('cpu-seconds', 'LOCO_BENCH_WALL_CPU_SECONDS', 5) * 1000;
const ENV = `wall-${COUNT}`;
/** --paint-only: our wall's paint rounds alone (no peer, no CPU windows), for comparing changes. */
const PAINT_ONLY = process.argv.includes('--paint-only');
const PROFILE = process.argv.includes('--profile')
  ? path.resolve(process.argv[process.argv.indexOf('--profile') + 1])
  : undefined;
/** --viewport WxH: 32 tiles need a taller window (tiles out of view pause their sessions). */
const [vw, vh] = (
  (process.argv.includes('--viewport')
    ? process.argv[process.argv.indexOf('--viewport') + 1]
    : process.env.LOCO_BENCH_WALL_VIEWPORT) ?? ''
)
  .split('x')
  .map(Number);
const VIEWPORT =
  vw > 0 && vh > 0 ? { width: vw, height: vh } : { width: 1440, height: 900 };
/**
 * Every guest prints a line ten times a second for `seconds` (busybox ping
 * of itself: every screen changes, the guests stay light). Lower-case
 * letters, digits and '-' only: the keyboard helper sends bare keysyms, and
 * QEMU types shifted characters unshifted.
 */
const change = (seconds: number) => `ping -i 0.1 -w ${seconds} 127.0.0.1`;
const log = (line: string) => process.stderr.write(`${line}\n`);
const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

async function main() {
  const loadAtStart = os.loadavg()[0];
  const configFile = path.join(
    os.tmpdir(),
    `loco-bench-wall-${process.pid}.json`,
  );
  await fs.writeFile(
    configFile,
    JSON.stringify({
      loco: demoEnvironment(COUNT, {
        name: ENV,
        owner: 'group:default/guests',
      }),
    }),
  );
  log(`starting the portal with ${COUNT} demo instances…`);
  const portal = await startPortal({
    name: `bench-wall-${COUNT}`,
    extraConfig: [configFile],
  });
  // The peer's page is served by a Playwright route, which Chromium counts
  // as a public address: its Local Network Access checks would then block
  // vnc_lite's socket to localhost. Our own page comes from the portal itself.
  const browser = await launchBrowser([
    '--disable-features=LocalNetworkAccessChecks',
  ]);
  // Ctrl-C: the portal stops its emulators, the browser closes.
  process.once('SIGINT', () => {
    void Promise.allSettled([browser.close(), portal.stop()]).then(() =>
      process.exit(130),
    );
  });
  try {
    const context = await browser.browser.newContext({ viewport: VIEWPORT });
    await installPaintWatch(context, COUNT);
    await installPhaseWatch(context);
    const page = await context.newPage();
    // The peer's failures (a refused socket, a missing file) show here.
    page.on('console', m => {
      if (m.type() === 'error' && page.url().includes('/novnc-peer/'))
        log(`  peer page: ${m.text().slice(0, 200)}`);
    });
    await signInAsGuest(page, portal.baseUrl);
    const token = await guestToken(portal.baseUrl);
    const base = `${portal.baseUrl}/catalog/default/resource/${ENV}`;
    const tab = `a[href$="/resource/${ENV}/loco"]`;

    // The environment's entity appears within a catalog round; the guests
    // boot (cold the first time, from boot snapshots later).
    const started = Date.now();
    for (let attempt = 0; ; attempt++) {
      await page.goto(`${base}/loco`);
      const shown = await page
        .getByTestId(`loco-tile-${COUNT - 1}`)
        .waitFor({ timeout: 30_000 })
        .then(
          () => true,
          () => false,
        );
      if (shown) break;
      log(`  the wall of ${ENV} is not shown yet (attempt ${attempt + 1})`);
      if (attempt === 10) throw new Error(`the wall of ${ENV} never showed`);
    }
    // Cold boots take minutes: say every half minute what the tiles show.
    for (let waited = 0; ; waited += 30) {
      const error = await waitForEveryTilePainted(page, COUNT, 30_000).then(
        () => null,
        (e: Error) => e,
      );
      if (!error) break;
      if (waited >= 1200) throw error;
      log(`  waiting for the tiles (${waited + 30} s): ${error.message}`);
    }
    log(
      `all ${COUNT} tiles painted ${((Date.now() - started) / 1000).toFixed(
        0,
      )} s after the first visit`,
    );
    const layout = await page.evaluate(() => {
      const screen = document
        .querySelector('[data-testid="loco-screen-0"]')!
        .getBoundingClientRect();
      const lefts = [
        ...document.querySelectorAll('[data-testid^="loco-screen-"]'),
      ].map(s => Math.round(s.getBoundingClientRect().left));
      return {
        screen: {
          width: Math.round(screen.width),
          height: Math.round(screen.height),
        },
        columns: new Set(lefts).size,
      };
    });

    const ours: Side = {
      name: 'ours (Loco tab)',
      warm: [],
      load: [],
      phases: { warm: [], load: [] },
    };
    for (let r = 1; r <= ROUNDS; r++) {
      // Warm: the portal and its chunks are loaded; the entity's overview is open.
      await page.goto(base);
      await page.waitForSelector(tab, { timeout: 60_000 });
      await sleep(2000);
      // --profile FILE: the page's JavaScript CPU profile of the last click.
      const cdp =
        PROFILE && r === ROUNDS ? await context.newCDPSession(page) : null;
      await cdp?.send('Profiler.enable');
      await cdp?.send('Profiler.setSamplingInterval', { interval: 200 });
      await cdp?.send('Profiler.start');
      const warm = await paintAfter(page, { click: tab });
      if (cdp) {
        const { profile } = await cdp.send('Profiler.stop');
        await fs.writeFile(PROFILE!, JSON.stringify(profile));
        log(`CPU profile of the last click: ${PROFILE}`);
      }
      ours.warm.push(warm.times);
      ours.phases!.warm.push(await readPhases(page, warm.t0));
      const load = await paintOnLoad(page, `${base}/loco`);
      ours.load.push(load.times);
      ours.phases!.load.push(await readPhases(page, load.t0));
      log(`ours round ${r}: ${roundLine(ours, r)}`);
    }
    if (PAINT_ONLY) {
      printReport({
        count: COUNT,
        rounds: ROUNDS,
        layout,
        viewport: VIEWPORT,
        load: [loadAtStart, os.loadavg()[0]],
        ours,
        peer: { name: 'peer (not measured: --paint-only)', warm: [], load: [] },
      });
      return;
    }
    ours.idle = await usage(page, portal.pid, portal.baseUrl, token);

    const peerUrl = await servePeer(
      context,
      portal.baseUrl,
      { environment: ENV, count: COUNT, ...layout },
      `${VNC_TOKEN_PROTOCOL_PREFIX}${token}`,
    );
    const peer: Side = {
      name: "peer (noVNC's vnc_lite.html)",
      warm: [],
      load: [],
    };
    for (let r = 1; r <= ROUNDS; r++) {
      // Warm: the wall page is loaded; it mounts one vnc_lite.html per instance.
      await page.goto(`${peerUrl}?mount=later`);
      await sleep(2000);
      peer.warm.push((await paintAfter(page, { mount: true })).times);
      peer.load.push((await paintOnLoad(page, peerUrl)).times);
      log(`peer round ${r}: ${roundLine(peer, r)}`);
      if (peer.load[r - 1].includes(null)) log(await peerStatus(page));
    }
    peer.idle = await usage(page, portal.pid, portal.baseUrl, token);

    log('every guest changes its screen now…');
    // Long enough for both sides' windows (and the page load between them).
    const busySeconds = Math.ceil(2 * (3 + (CPU_ROUNDS * CPU_MS) / 1000) + 30);
    await everyGuest(portal.pid, change(busySeconds));
    await sleep(3000);
    peer.busy = await usage(page, portal.pid, portal.baseUrl, token);
    await paintOnLoad(page, `${base}/loco`);
    await sleep(3000);
    ours.busy = await usage(page, portal.pid, portal.baseUrl, token);

    printReport({
      count: COUNT,
      rounds: ROUNDS,
      layout,
      viewport: VIEWPORT,
      load: [loadAtStart, os.loadavg()[0]],
      ours,
      peer,
    });
  } finally {
    await browser.close();
    await portal.stop();
    await fs.rm(configFile, { force: true });
  }
}

/** CPU and bytes with the page left as it is (see measureUsage). */
const usage = (
  page: Page,
  backendPid: number,
  baseUrl: string,
  token: string,
) =>
  measureUsage({
    page,
    backendPid,
    baseUrl,
    token,
    environment: ENV,
    windows: CPU_ROUNDS,
    windowMs: CPU_MS,
  });

function roundLine(side: Side, r: number) {
  const show = (t: PaintTimes) =>
    t.some(x => x === null)
      ? `${t.filter(x => x !== null).length}/${t.length} painted`
      : `all in ${Math.max(...(t as number[])).toFixed(0)} ms`;
  return `warm ${show(side.warm[r - 1])}, full load ${show(side.load[r - 1])}`;
}

/** Types `text` (and Enter) on every guest's console, straight on its VNC socket. */
async function everyGuest(portalPid: number, text: string) {
  for (let i = 0; i < COUNT; i++)
    await typeIntoGuest(portalPid, `${ENV}-${i}`, text);
}

main().then(
  () => process.exit(0),
  error => {
    process.stderr.write(`${error?.stack ?? error}\n`);
    process.exit(1);
  },
);
