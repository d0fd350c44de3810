// The measurements behind bench/local/run.ts (see there).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { LoggerService } from '@backstage/backend-plugin-api';
import { MAX_INSTANCES } from '@loco-portal/plugin-loco-common';
import { LocalRuntime } from '../../plugins/loco-node/src/local/LocalRuntime';
import { parseLocalRuntimeConfig } from '../../plugins/loco-node/src/local/localConfig';
import { diskInfo } from '../../plugins/loco-node/src/local/diskImages';
import {
  CLOCK_TICKS_PER_SECOND,
  readProcStat,
  readRssBytes,
} from '../../plugins/loco-node/src/local/procStat';
import { readTextScreen } from '../../plugins/loco-node/src/local/__testUtils__/guestScreen';

const ROOT = path.resolve(__dirname, '../..');
const DEMO_DISK = path.join(ROOT, '.cache/images/loco-demo.qcow2');
const ENV = 'bench-local';
/** `--instances N` (npm run bench:local -- --instances 32), else LOCO_BENCH_INSTANCES, else 9. */
function instanceCount(): number {
  const flag = process.argv.indexOf('--instances');
  const raw =
    flag >= 0 ? process.argv[flag + 1] : process.env.LOCO_BENCH_INSTANCES;
  const count = Number(raw ?? 9);
  if (!Number.isInteger(count) || count < 1 || count > MAX_INSTANCES)
    throw new Error(`--instances must be 1..${MAX_INSTANCES}, got ${raw}`);
  return count;
}
const COUNT = instanceCount();
/** The runtime's default guest RAM (loco.local.memoryMb), stated so the RSS figure can be split. */
const GUEST_MB = 128;
const IDLE_SECONDS = Number(process.env.LOCO_BENCH_IDLE_SECONDS ?? 30);
/** Idle is measured after the start has settled: boot probes and the guests' first LAN round are over. */
const SETTLE_SECONDS = Number(process.env.LOCO_BENCH_SETTLE_SECONDS ?? 15);

const quiet: LoggerService = {
  info: () => {},
  debug: () => {},
  warn: (m: string) => console.warn(`  warn: ${m}`),
  error: (m: string) => console.error(`  error: ${m}`),
  child: () => quiet,
};

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

/** Seconds until `done(i)` holds for every instance, polling every 100 ms. */
async function allInstances(
  runtime: LocalRuntime,
  done: (index: number) => Promise<boolean>,
  timeoutMs: number,
  since: number,
): Promise<number | null> {
  const pending = new Set(Array.from({ length: COUNT }, (_, i) => i));
  const deadline = Date.now() + timeoutMs;
  while (pending.size > 0) {
    if (Date.now() > deadline) return null;
    for (const i of [...pending]) {
      if (await done(i).catch(() => false)) pending.delete(i);
    }
    if (pending.size > 0) await sleep(100);
  }
  void runtime;
  return (Date.now() - since) / 1000;
}

/** "Live": the guest's banner (its title row) is on screen. */
const bannerShown = (runtime: LocalRuntime) => async (i: number) =>
  (await readTextScreen(runtime.localInstance(ENV, i))).some(r =>
    r.includes('LEGO LOCO CLUSTER'),
  );

async function idleFigures(runtime: LocalRuntime) {
  const pids = Array.from(
    { length: COUNT },
    (_, i) => runtime.localInstance(ENV, i).pid!,
  );
  const before = await Promise.all(pids.map(readProcStat));
  const t0 = Date.now();
  await sleep(IDLE_SECONDS * 1000);
  const after = await Promise.all(pids.map(readProcStat));
  const wall = (Date.now() - t0) / 1000;
  const rss = await Promise.all(pids.map(readRssBytes));
  const cpu = pids.map((_, i) =>
    before[i] && after[i]
      ? (after[i]!.cpuTicks - before[i]!.cpuTicks) /
        CLOCK_TICKS_PER_SECOND /
        wall
      : null,
  );
  return { cpu, rss };
}

/** Mean of the known values, null when none is known. */
const meanOf = (values: (number | null)[]) => {
  const known = values.filter((v): v is number => v !== null);
  return known.length ? known.reduce((a, b) => a + b, 0) / known.length : null;
};

/** Prints one figure per instance and returns the mean idle CPU (fraction of a core). */
function printIdle(
  label: string,
  figures: { cpu: (number | null)[]; rss: (number | null)[] },
): number | null {
  console.log(
    `\n${label}: idle over ${IDLE_SECONDS} s, ${SETTLE_SECONDS} s after the start, per instance`,
  );
  figures.cpu.forEach((c, i) => {
    const rss = figures.rss[i];
    console.log(
      `  ${ENV}-${i}: CPU ${
        c === null ? 'unknown' : `${(c * 100).toFixed(1)} % of a core`
      }, RSS ${rss === null ? 'unknown' : `${(rss / 2 ** 20).toFixed(0)} MiB`}`,
    );
  });
  const known = figures.cpu.filter((c): c is number => c !== null);
  const rssKnown = figures.rss.filter((r): r is number => r !== null);
  if (known.length) {
    console.log(
      `  mean CPU ${(
        (known.reduce((a, b) => a + b, 0) / known.length) *
        100
      ).toFixed(1)} % of a core, max ${(Math.max(...known) * 100).toFixed(
        1,
      )} %; total RSS ${(rssKnown.reduce((a, b) => a + b, 0) / 2 ** 30).toFixed(
        2,
      )} GiB`,
    );
  }
  // What a host must budget per instance beyond the guest's RAM (the sizing
  // table in plugins/loco-node/README.md). A guest touches its RAM as it
  // runs, so an RSS below the configured RAM means it has not used it all yet.
  const meanRss = meanOf(figures.rss);
  const maxRss = rssKnown.length ? Math.max(...rssKnown) : null;
  const mib = (bytes: number | null) =>
    bytes === null ? 'unknown' : `${(bytes / 2 ** 20).toFixed(0)} MiB`;
  console.log(
    `  RSS per instance: mean ${mib(meanRss)}, max ${mib(
      maxRss,
    )}, with ${GUEST_MB} MiB guest RAM configured${
      maxRss !== null && maxRss / 2 ** 20 > GUEST_MB
        ? ` (QEMU's own, at the max: ≈ ${(maxRss / 2 ** 20 - GUEST_MB).toFixed(
            0,
          )} MiB)`
        : ''
    }`,
  );
  return meanOf(figures.cpu);
}

const verdict = (met: boolean | null) =>
  met === null ? 'unknown' : met ? 'met' : 'NOT met';
const percent = (fraction: number | null) =>
  fraction === null ? 'unknown' : `${(fraction * 100).toFixed(1)} %`;

async function main() {
  if (!fs.existsSync(DEMO_DISK))
    throw new Error(
      `Demo disk missing at ${DEMO_DISK}: run scripts/prepare.sh`,
    );
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'loco-bench-'));
  const config = parseLocalRuntimeConfig({
    stateDir,
    memoryMb: GUEST_MB,
    images: { demo: { path: DEMO_DISK } },
    environments: [
      { name: ENV, instances: COUNT, image: 'demo', storageMode: 'persistent' },
    ],
  });
  console.log(
    `Local runtime bench: ${COUNT} demo instances, ${os.availableParallelism()} cores, load average ${os
      .loadavg()
      .map(l => l.toFixed(2))
      .join(' ')}`,
  );
  let runtime = new LocalRuntime(config, quiet);
  // Ctrl-C: stop the emulators and remove the bench's state before exiting.
  process.once('SIGINT', () => {
    void runtime.stop().finally(() => {
      fs.rmSync(stateDir, { recursive: true, force: true });
      process.exit(130);
    });
  });
  try {
    let t0 = Date.now();
    await runtime.start();
    // Cold boots run about one per core: the bound grows with the count.
    const coldBoundMs = Math.max(600, COUNT * 40) * 1000;
    const cold = await allInstances(
      runtime,
      bannerShown(runtime),
      coldBoundMs,
      t0,
    );
    console.log(
      `cold: all ${COUNT} banners after ${cold ?? 'unknown (timed out)'} s`,
    );
    const saved = await allInstances(
      runtime,
      async i =>
        (
          await diskInfo(runtime.localInstance(ENV, i).diskPath)
        ).snapshots.includes('loco-booted'),
      300_000,
      t0,
    );
    console.log(
      `cold: all ${COUNT} boot snapshots saved after ${
        saved ?? 'unknown (timed out)'
      } s`,
    );
    await sleep(SETTLE_SECONDS * 1000);
    const coldIdle = printIdle('cold-booted', await idleFigures(runtime));
    await runtime.stop();

    runtime = new LocalRuntime(config, quiet);
    t0 = Date.now();
    await runtime.start();
    const snap = await allInstances(
      runtime,
      bannerShown(runtime),
      Math.max(120, COUNT * 8) * 1000,
      t0,
    );
    const { items } = await runtime.listEnvironments();
    const modes = items[0].instances.map(i => i.health.facts.bootMode);
    console.log(
      `snapshot: all ${COUNT} banners after ${
        snap ?? 'unknown (timed out)'
      } s (boot modes: ${modes.join(' ')})`,
    );
    await sleep(SETTLE_SECONDS * 1000);
    const snapIdle = printIdle('snapshot-started', await idleFigures(runtime));

    console.log('\nSummary');
    console.log(`  cold start, all ${COUNT} live:      ${cold ?? 'unknown'} s`);
    console.log(`  snapshot start, all ${COUNT} live:  ${snap ?? 'unknown'} s`);
    console.log(
      `  snapshot-vs-cold ratio:         ${
        cold && snap ? (snap / cold).toFixed(3) : 'unknown'
      } (${cold && snap ? `${(cold / snap).toFixed(1)}x faster` : 'unknown'})`,
    );
    const worstIdle =
      coldIdle === null || snapIdle === null
        ? null
        : Math.max(coldIdle, snapIdle);
    console.log(
      `  idle CPU per instance (mean):   cold-booted ${percent(
        coldIdle,
      )}, snapshot-started ${percent(snapIdle)}`,
    );
    console.log('\nTargets from issue 3 (this 2-core machine, 9 instances):');
    console.log(
      `  all live from snapshots < 10 s:  ${verdict(
        snap === null ? null : snap < 10,
      )}`,
    );
    console.log(
      `  idle CPU per instance <= 3 %:    ${verdict(
        worstIdle === null ? null : worstIdle <= 0.03,
      )}`,
    );
  } finally {
    await runtime.stop();
    fs.rmSync(stateDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  error => {
    console.error(error);
    process.exit(1);
  },
);
