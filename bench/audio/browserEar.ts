/**
 * The browser's side of the sound bench's end-to-end figure (issue 19): a
 * real portal with the demo environment (sound on, AC97 + PC speaker),
 * Debian's Chromium signed in as guest on the tile page with tile 0's sound
 * on, and an AnalyserNode tapped onto whatever the page connects to its
 * speakers (the tile's audio graph output). Run by run.ts as a plain-node
 * child (it imports the e2e support, which is ESM); it talks JSON lines on
 * stdout: {vnc} once the tile plays sound (run.ts then puts its own ear on
 * QEMU's VNC socket), then {onset} per tone heard in the page (wall clock,
 * ms), then {latency} with the AudioContext's own output buffering.
 * Tones are typed into the guest on QEMU's VNC socket (guestKeyboard.ts).
 */
import type { Page } from 'playwright-core';
import fs from 'node:fs/promises';
import { signInAsGuest } from '../../tests/e2e/support/browser.ts';
import { typeIntoGuest } from '../../tests/e2e/support/guestKeyboard.ts';
import { findQemu } from '../../tests/e2e/support/screens.ts';
import {
  demoEnvironment,
  openPortalSession,
} from '../../tests/e2e/support/session.ts';

const TONES = Number(process.argv[2] ?? 10);
const INSTANCE = 'loco-demo-0';
const say = (o: object) => process.stdout.write(`${JSON.stringify(o)}\n`);
const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

/**
 * The page's onset mark: an AnalyserNode per AudioContext on everything
 * wired to the destination, polled every 5 ms; the first sample above the
 * noise floor after quiet is placed by its position in the analyser's
 * window (which ends at the sample just rendered) and turned into wall
 * clock with performance.timeOrigin + performance.now().
 */
function installOnsetEar(page: Page) {
  return page.addInitScript(() => {
    const connect = AudioNode.prototype.connect;
    const onsets: number[] = [];
    const w = window as any;
    w.locoBenchOnsets = onsets;
    w.locoBenchContexts = [] as AudioContext[];
    AudioNode.prototype.connect = function patched(
      this: AudioNode,
      destination: any,
      ...rest: any[]
    ) {
      if (
        destination instanceof AudioDestinationNode &&
        !w.locoBenchContexts.includes(this.context)
      ) {
        const ctx = this.context as AudioContext;
        w.locoBenchContexts.push(ctx);
        const ear = ctx.createAnalyser();
        ear.fftSize = 2048;
        const silent = ctx.createGain();
        silent.gain.value = 0;
        connect.call(ear, silent);
        connect.call(silent, destination);
        (w.locoBenchEars ??= []).push(ear);
        const buf = new Float32Array(ear.fftSize);
        let quietSince = 0;
        setInterval(() => {
          const now = performance.timeOrigin + performance.now();
          ear.getFloatTimeDomainData(buf);
          const first = buf.findIndex(s => Math.abs(s) > 1000 / 32768);
          if (first < 0) {
            quietSince ||= now;
            return;
          }
          // Loud after at least 300 ms of quiet: a tone's onset.
          if (quietSince && now - quietSince > 300)
            onsets.push(now - ((buf.length - first) * 1000) / ctx.sampleRate);
          quietSince = 0;
        }, 5);
      }
      if (destination instanceof AudioDestinationNode)
        connect.call(
          this,
          (w.locoBenchEars as AnalyserNode[]).find(
            e => e.context === this.context,
          )!,
        );
      return (connect as any).call(this, destination, ...rest);
    } as any;
  });
}

async function main() {
  const session = await openPortalSession({
    name: 'bench-audio',
    config: {
      loco: { local: { ...demoEnvironment(1).local, sound: 'ac97' } },
    },
  });
  const { page, portal } = session;
  try {
    await installOnsetEar(page);
    await signInAsGuest(page, portal.baseUrl);
    await page.goto(
      `${portal.baseUrl}/catalog/default/resource/loco-demo/loco`,
    );
    const screen = page.locator('[data-testid="loco-screen-0"]');
    await screen.locator('canvas').waitFor({ timeout: 300_000 });
    // The click focuses tile 0 (its sound on) and is the page's gesture for sound.
    await screen.click();
    const [pid] = await findQemu(portal.pid, INSTANCE);
    const argv = (await fs.readFile(`/proc/${pid}/cmdline`, 'utf8')).split(
      '\0',
    );
    say({ vnc: /^unix:([^,]+)/.exec(argv[argv.indexOf('-vnc') + 1])?.[1] });
    const onsets = () =>
      page.evaluate(() => (window as any).locoBenchOnsets.length as number);
    // Until the guest's shell is up the command goes nowhere: try again.
    for (let i = 0; i < 60 && (await onsets()) === 0; i++) {
      await typeIntoGuest(portal.pid, INSTANCE, 'tone 880 300');
      await sleep(3000);
    }
    await sleep(2000);
    say({ ready: true });
    for (let i = 0; i < TONES; i++) {
      const before = await onsets();
      await typeIntoGuest(portal.pid, INSTANCE, 'tone 880 500');
      await sleep(2000);
      const all = await page.evaluate(
        () => (window as any).locoBenchOnsets as number[],
      );
      say({ onset: all.length > before ? all[before] : null });
    }
    say({
      latency: await page.evaluate(() => {
        const ctx = ((window as any).locoBenchContexts as AudioContext[])[0];
        return {
          outputLatency: ctx?.outputLatency ?? null,
          baseLatency: ctx?.baseLatency ?? null,
          sampleRate: ctx?.sampleRate ?? null,
        };
      }),
    });
  } finally {
    await session.close();
  }
}

main().then(
  () => process.exit(0),
  error => {
    process.stderr.write(`${error?.stack ?? error}\n`);
    process.exit(1);
  },
);
