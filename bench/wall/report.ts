// Prints the wall bench's figures: ours and the peer side by side, the
// ratio ours/peer, and the targets met or not. Medians over the
// rounds; a figure that could not be measured is printed as unknown.
import os from 'node:os';
import type { CpuWindow, Usage } from './cpu.ts';
import { median, nthPainted, type PaintTimes } from './paint.ts';
import { phaseLines, type Phases } from './phases.ts';

export interface Side {
  name: string;
  /** Per round: from the click (ours) or the mount in a loaded page (peer). */
  warm: PaintTimes[];
  /** Per round: from the navigation's start of a full page load. */
  load: PaintTimes[];
  idle?: Usage;
  busy?: Usage;
  /** Where the time went (ours only: the peer's sockets live in its iframes). */
  phases?: { warm: Phases[]; load: Phases[] };
}

type Num = number | null;
const fmt = (v: Num, unit: string, digits = 0) =>
  v === null || !Number.isFinite(v)
    ? 'unknown'
    : `${v.toFixed(digits)} ${unit}`;
const ratio = (a: Num, b: Num) =>
  a === null || b === null || b === 0 || !Number.isFinite(a / b)
    ? 'unknown'
    : `${(a / b).toFixed(2)}x`;
const verdict = (v: boolean | null) =>
  v === null ? 'unknown' : v ? 'met' : 'NOT met';

/** Median over the rounds of the n-th tile to paint (n = count: all of them). */
const paintMedian = (rounds: PaintTimes[], n: number) =>
  median(rounds.map(times => nthPainted(times, n)));

/** Median over the CPU windows of `pick`, per live tile (fraction of a core). */
function perTile(usage: Usage | undefined, pick: (w: CpuWindow) => number) {
  if (!usage || usage.liveTiles === 0) return null;
  return median(usage.windows.map(w => pick(w) / usage.liveTiles));
}

export function printReport(r: {
  count: number;
  rounds: number;
  layout: { columns: number; screen: { width: number; height: number } };
  viewport: { width: number; height: number };
  /** 1-minute load average at the start and at the end (the machine is shared). */
  load: [number, number];
  ours: Side;
  peer: Side;
}) {
  const { count, ours, peer } = r;
  const out: string[] = [];
  const row = (label: string, a: Num, b: Num, unit: string, digits = 0) =>
    out.push(
      `  ${label.padEnd(44)} ${fmt(a, unit, digits).padStart(12)} ${fmt(
        b,
        unit,
        digits,
      ).padStart(12)} ${ratio(a, b).padStart(9)}`,
    );
  out.push(
    `\nBrowser wall bench: ${count} instances, window ${r.viewport.width}x${r.viewport.height}, ` +
      `${r.layout.columns} columns of ${r.layout.screen.width}x${r.layout.screen.height} px screens; ` +
      `medians over ${r.rounds} rounds (paint) and the CPU windows; ` +
      `load average ${r.load[0].toFixed(2)} at the start, ${r.load[1].toFixed(
        2,
      )} at the end (${os.cpus().length} cores)`,
  );
  out.push(
    `  ${''.padEnd(44)} ${'ours'.padStart(12)} ${'peer'.padStart(
      12,
    )} ${'ours/peer'.padStart(9)}`,
  );
  out.push(' time to paint (pixels read in the page):');
  row(
    'warm: first tile painted',
    paintMedian(ours.warm, 1),
    paintMedian(peer.warm, 1),
    'ms',
  );
  row(
    `warm: all ${count} painted`,
    paintMedian(ours.warm, count),
    paintMedian(peer.warm, count),
    'ms',
  );
  row(
    'full page load: first tile painted',
    paintMedian(ours.load, 1),
    paintMedian(peer.load, 1),
    'ms',
  );
  row(
    `full page load: all ${count} painted`,
    paintMedian(ours.load, count),
    paintMedian(peer.load, count),
    'ms',
  );
  if (ours.phases) {
    out.push(
      ' where the time goes (ours; from the click or the navigation start):',
    );
    out.push(...phaseLines('warm (tab click)', ours.phases.warm, ours.warm));
    out.push(...phaseLines('full page load', ours.phases.load, ours.load));
  }
  for (const phase of ['idle', 'busy'] as const) {
    const a = ours[phase];
    const b = peer[phase];
    out.push(
      ` ${
        phase === 'idle'
          ? 'guests idle (their 1 Hz status line only)'
          : 'every screen changing (a ping line printed 10x a second)'
      }; live tiles ours ${a?.liveTiles ?? 'unknown'}, peer ${
        b?.liveTiles ?? 'unknown'
      }:`,
    );
    const pct = (u: Usage | undefined, pick: (w: CpuWindow) => number) => {
      const v = perTile(u, pick);
      return v === null ? null : v * 100;
    };
    row(
      'browser CPU per live tile (renderer + GPU)',
      pct(a, w => w.renderer + w.gpu),
      pct(b, w => w.renderer + w.gpu),
      '% core',
      2,
    );
    row(
      '  of which renderer',
      pct(a, w => w.renderer),
      pct(b, w => w.renderer),
      '% core',
      2,
    );
    row(
      '  all Chromium processes',
      pct(a, w => w.allChromium),
      pct(b, w => w.allChromium),
      '% core',
      2,
    );
    row(
      'backend CPU per live tile',
      pct(a, w => w.backend),
      pct(b, w => w.backend),
      '% core',
      2,
    );
    row(
      'bytes per second per tile (gateway to browser)',
      a?.bytesPerSecondPerTile ?? null,
      b?.bytesPerSecondPerTile ?? null,
      'B/s',
    );
  }

  const warmAll = paintMedian(ours.warm, count);
  const loadAll = paintMedian(ours.load, count);
  const idleOurs = perTile(ours.idle, w => w.renderer + w.gpu);
  const idlePeer = perTile(peer.idle, w => w.renderer + w.gpu);
  out.push('\nTargets (issue 21, this 2-core machine; ours):');
  if (count === 9) {
    out.push(
      `  tab click -> 9 painted < 300 ms:        ${fmt(
        warmAll,
        'ms',
      )}: ${verdict(warmAll === null ? null : warmAll < 300)}`,
    );
    out.push(
      `  full page load -> 9 painted < 800 ms:   ${fmt(
        loadAll,
        'ms',
      )}: ${verdict(loadAll === null ? null : loadAll < 800)}`,
    );
  }
  if (count === 32)
    out.push(
      `  32 painted < 1.5 s after the click:     ${fmt(
        warmAll,
        'ms',
      )}: ${verdict(warmAll === null ? null : warmAll < 1500)}`,
    );
  if (count !== 9 && count !== 32)
    out.push(
      `  (the paint targets are for 9 and 32 instances; run with --instances 9 or 32)`,
    );
  out.push(
    `  browser CPU per idle live tile <= peer's: ${fmt(
      idleOurs === null ? null : idleOurs * 100,
      '%',
      2,
    )} vs ${fmt(idlePeer === null ? null : idlePeer * 100, '%', 2)}: ${verdict(
      idleOurs === null || idlePeer === null ? null : idleOurs <= idlePeer,
    )}`,
  );
  out.push(
    '\nWarm: ours from the click on the Loco tab of the loaded entity page; the peer from mounting its iframes in a loaded page.' +
      '\nFull load: from the navigation start. The peer is one vnc_lite.html per instance (iframes of our screen size) through our gateway.',
  );
  process.stdout.write(`${out.join('\n')}\n`);
}
