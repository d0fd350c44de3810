// The measurements behind bench/oci/run.ts (see there).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RegistryClient } from '../../plugins/loco-node/src/oci/RegistryClient';
import { pushSnapshot } from '../../plugins/loco-node/src/oci/snapshotArtifact';
import { startTestRegistry } from '../../plugins/loco-node/src/oci/__testUtils__/testRegistry';

const SIZES_MB = (process.env.BENCH_SIZES_MB ?? '10,1024')
  .split(',')
  .map(Number);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const MB = 1024 * 1024;
const TIME = '/usr/bin/time';
/** A 1 MB snapshot our client pulls, untimed, before each measured pull (see pullOnce.ts). */
const WARM_UP_TAG = 'warm-up'; // GNU time: a child's exact peak RSS (%M)

interface Run {
  seconds: number;
  maxRssKb: number | null;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

function run(
  program: string,
  args: string[],
): Promise<{ stdout: string; stderr: string; code: number | null }> {
  return new Promise(resolve => {
    const child = spawn(program, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', d => (stdout += d));
    child.stderr.on('data', d => (stderr += d));
    child.once('error', error =>
      resolve({ stdout, stderr: String(error), code: null }),
    );
    child.once('close', code => resolve({ stdout, stderr, code }));
  });
}

/** Wall time and peak RSS of an external tool (peak RSS via GNU time when installed). */
async function timed(program: string, args: string[]): Promise<Run> {
  const hasTime = fs.existsSync(TIME);
  const started = process.hrtime.bigint();
  const result = hasTime
    ? await run(TIME, ['-f', 'LOCO_MAXRSS=%M', program, ...args])
    : await run(program, args);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (result.code !== 0) {
    throw new Error(
      `${program} failed (${result.code}): ${result.stderr.trim()}`,
    );
  }
  const rss = /LOCO_MAXRSS=(\d+)/.exec(result.stderr)?.[1];
  return { seconds, maxRssKb: rss ? Number(rss) : null };
}

async function ours(
  repository: string,
  tag: string,
  destination: string,
): Promise<Run> {
  const result = await run(process.execPath, [
    '--require',
    '@backstage/cli-node/config/nodeTransform.cjs',
    path.join(__dirname, 'pullOnce.ts'),
    repository,
    tag,
    destination,
    WARM_UP_TAG,
  ]);
  if (result.code !== 0) throw new Error(`our pull failed: ${result.stderr}`);
  return JSON.parse(result.stdout.trim().split('\n').at(-1)!) as Run;
}

async function writeRandomFile(file: string, bytes: number) {
  const out = fs.createWriteStream(file);
  for (let done = 0; done < bytes; done += MB) {
    if (!out.write(randomBytes(Math.min(MB, bytes - done)))) {
      await new Promise(r => out.once('drain', r));
    }
  }
  await new Promise<void>((resolve, reject) =>
    out.end((e?: Error) => (e ? reject(e) : resolve())),
  );
}

const f = (n: number | null, digits = 0) =>
  n === null || !Number.isFinite(n) ? 'n/a' : n.toFixed(digits);

async function main() {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'loco-oci-bench-'));
  const registry = await startTestRegistry();
  const repository = `${registry.host}/bench/snapshots`;
  const client = new RegistryClient(repository);
  const skopeo = (await run('skopeo', ['--version'])).code === 0;
  const rows: Array<{
    size: number;
    tool: string;
    mbPerS: number;
    rssMb: number | null;
  }> = [];
  try {
    console.log(
      `registry ${registry.host}, ${ROUNDS} rounds per tool and size, medians`,
    );
    const warmUp = path.join(work, 'warm-up.qcow2');
    await writeRandomFile(warmUp, MB);
    await pushSnapshot(client, WARM_UP_TAG, warmUp, {
      ramSnapshot: null,
      memoryMb: null,
    });
    for (const sizeMb of SIZES_MB) {
      const tag = `bench-${sizeMb}mb`;
      const source = path.join(work, `${tag}.qcow2`);
      await writeRandomFile(source, sizeMb * MB);
      const pushStart = process.hrtime.bigint();
      await pushSnapshot(client, tag, source, {
        ramSnapshot: null,
        memoryMb: null,
      });
      const pushSeconds = Number(process.hrtime.bigint() - pushStart) / 1e9;
      fs.rmSync(source);
      console.log(
        `pushed ${sizeMb} MB in ${pushSeconds.toFixed(2)} s (${f(
          sizeMb / pushSeconds,
        )} MB/s, our client)`,
      );
      const { manifest } = await client.getManifest(tag);
      const blobUrl = `http://${registry.host}/v2/bench/snapshots/blobs/${manifest.layers[0].digest}`;
      const tools: Record<string, (dest: string) => Promise<Run>> = {
        'loco client': dest => ours(repository, tag, dest),
        curl: dest => timed('curl', ['-sSf', '-o', dest, blobUrl]),
      };
      if (skopeo) {
        tools['skopeo copy'] = dest =>
          timed('skopeo', [
            'copy',
            '-q',
            '--src-tls-verify=false',
            `docker://${repository}:${tag}`,
            `dir:${dest}`,
          ]);
      }
      const runs: Record<string, Run[]> = {};
      for (let round = 0; round < ROUNDS; round++) {
        // Alternate the order so no tool always runs on the warmest cache.
        const names = Object.keys(tools);
        if (round % 2) names.reverse();
        for (const name of names) {
          const dest = path.join(work, `pulled-${name.replace(/\W/g, '')}`);
          fs.rmSync(dest, { recursive: true, force: true });
          (runs[name] ??= []).push(await tools[name](dest));
          fs.rmSync(dest, { recursive: true, force: true });
        }
      }
      for (const [tool, list] of Object.entries(runs)) {
        const rss = list
          .map(r => r.maxRssKb)
          .filter((n): n is number => n !== null);
        rows.push({
          size: sizeMb,
          tool,
          mbPerS: sizeMb / median(list.map(r => r.seconds)),
          rssMb: rss.length ? Math.max(...rss) / 1024 : null,
        });
      }
    }
  } finally {
    await registry.stop();
    fs.rmSync(work, { recursive: true, force: true });
  }

  console.log('\nsize MB  tool          MB/s    x curl  peak RSS MB');
  for (const r of rows) {
    const curl = rows.find(c => c.size === r.size && c.tool === 'curl')!;
    console.log(
      [
        String(r.size).padStart(7),
        r.tool.padEnd(12),
        f(r.mbPerS).padStart(6),
        f(r.mbPerS / curl.mbPerS, 2).padStart(9),
        f(r.rssMb, 1).padStart(12),
      ].join('  '),
    );
  }
  const oursRows = rows.filter(r => r.tool === 'loco client');
  const met = (ok: boolean) => (ok ? 'met' : 'NOT met');
  console.log('\ntargets (issue 15):');
  for (const r of oursRows) {
    const curl = rows.find(c => c.size === r.size && c.tool === 'curl')!;
    const ratio = r.mbPerS / curl.mbPerS;
    console.log(
      `  ${r.size} MB throughput   ${f(
        ratio,
        2,
      )}x curl   target >= 0.90x  ${met(ratio >= 0.9)}`,
    );
  }
  if (oursRows.length >= 2 && oursRows.every(r => r.rssMb !== null)) {
    const small = oursRows[0];
    const large = oursRows[oursRows.length - 1];
    const growth = large.rssMb! - small.rssMb!;
    // Streaming means memory does not follow the size: allow GC slack of 5 %
    // of the size difference (a client that buffers grows by all of it).
    const allowed = 0.05 * (large.size - small.size);
    console.log(
      `  peak RSS ${small.size} MB -> ${large.size} MB: ${f(
        small.rssMb,
        1,
      )} -> ${f(large.rssMb, 1)} MB (+${f(
        growth,
        1,
      )} MB)   target: flat (< +${f(allowed)} MB)  ${met(growth < allowed)}`,
    );
  }
}

main().catch(error => {
  console.error(error);
  process.exit(1);
});
