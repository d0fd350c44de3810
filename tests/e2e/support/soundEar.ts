import type { Page } from 'playwright-core';

/** A pitch the page sends to its speakers and how loud it is (dBFS). */
export type Heard = { hz: number; db: number } | null;

/**
 * The test's ear: whatever the page sends to its speakers also goes through
 * one AnalyserNode per AudioContext, read by the functions below. Test code
 * only: the portal itself exposes nothing for this. Call before the page loads.
 */
export function installEar(page: Page): Promise<void> {
  return page.addInitScript(() => {
    const connect = AudioNode.prototype.connect;
    const ears: AnalyserNode[] = [];
    (window as any).locoTestEars = ears;
    AudioNode.prototype.connect = function patched(
      this: AudioNode,
      destination: any,
      ...rest: any[]
    ) {
      if (destination instanceof AudioDestinationNode) {
        let ear = ears.find(e => e.context === this.context);
        if (!ear) {
          ear = this.context.createAnalyser();
          ear.fftSize = 8192;
          // Pulled by the destination (through silence), so the ear keeps
          // listening when nothing plays: unpulled, it would keep showing
          // the last sound it heard.
          const silent = this.context.createGain();
          silent.gain.value = 0;
          connect.call(ear, silent);
          connect.call(silent, destination);
          ears.push(ear);
        }
        connect.call(this, ear);
      }
      return (connect as any).call(this, destination, ...rest);
    } as any;
  });
}

/** The loudest pitch the speakers get now, or null before any sound was wired. */
export function loudest(page: Page): Promise<Heard> {
  return page.evaluate(() => {
    const ear = ((window as any).locoTestEars as AnalyserNode[])[0];
    if (!ear) return null;
    const bins = new Float32Array(ear.frequencyBinCount);
    ear.getFloatFrequencyData(bins);
    let best = 1;
    for (let i = 1; i < bins.length; i++) if (bins[i] > bins[best]) best = i;
    return {
      hz: (best * ear.context.sampleRate) / ear.fftSize,
      db: bins[best],
    };
  });
}

/** Samples the speakers for `ms`: the loudest moment's pitch and level. */
export async function listenFor(page: Page, ms: number): Promise<Heard> {
  let peak: Heard = null;
  for (const end = Date.now() + ms; Date.now() < end; ) {
    const now = await loudest(page);
    if (now && (!peak || now.db > peak.db)) peak = now;
    await page.waitForTimeout(50);
  }
  return peak;
}

/** The width of one analyser bin in Hz (once sound is wired). */
export function binHz(page: Page): Promise<number> {
  return page.evaluate(() => {
    const ear = ((window as any).locoTestEars as AnalyserNode[])[0];
    return ear.context.sampleRate / ear.fftSize;
  });
}
