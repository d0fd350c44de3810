import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mockServices } from '@backstage/backend-test-utils';
import { readCmdline } from './procStat';
import { buildQemuArgs, multicastNetdev } from './qemuArgs';
import { cleanStaleRuns } from './staleRuns';

jest.setTimeout(60_000);

async function waitFor<T>(
  probe: () => T | undefined,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise(r => setTimeout(r, 100));
  }
}

/** The QEMU a crashed backend would have left: our command line, reparented to init. */
async function orphanQemu(runDir: string): Promise<number> {
  fs.mkdirSync(runDir, { recursive: true });
  const args = buildQemuArgs({
    environment: 'rt-stale',
    name: path.basename(runDir),
    index: 0,
    count: 1,
    diskPath: '/dev/null',
    runDir,
    memoryMb: 32,
    vga: 'std',
    accel: 'tcg',
    netdev: multicastNetdev('239.77.200.1', 39999),
    mac: '52:54:00:ee:00:00',
    extraArgs: [],
  });
  // -S: no guest code runs; the drive is replaced (QEMU needs no real disk here).
  const argv = args.map(a =>
    a.startsWith('file=/dev/null')
      ? 'file=/dev/null,format=raw,if=ide,index=0,media=disk'
      : a,
  );
  const result = spawnSync(
    'setsid',
    ['-f', 'qemu-system-x86_64', '-S', ...argv],
    { stdio: 'ignore' },
  );
  expect(result.status).toBe(0);
  return waitFor(() => {
    const out = spawnSync('pgrep', ['-f', `unix:${runDir}/qmp.sock`])
      .stdout.toString()
      .trim();
    return out ? Number(out.split('\n')[0]) : undefined;
  });
}

describe('cleanStaleRuns', () => {
  let runRoot: string;
  const started: number[] = [];

  beforeEach(() => {
    runRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'loco-stale-'));
  });

  afterEach(() => {
    for (const pid of started) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    fs.rmSync(runRoot, { recursive: true, force: true });
  });

  it('kills only QEMUs proven ours by pid file and command line, and removes stale run dirs', async () => {
    const orphanDir = path.join(runRoot, 'rt-stale-0');
    const orphan = await orphanQemu(orphanDir);
    started.push(orphan);
    fs.writeFileSync(path.join(orphanDir, 'qemu.pid'), String(orphan));

    // A pid file naming a live process that is not our QEMU (pid reuse): never killed.
    const bystander = spawn('sleep', ['60'], { stdio: 'ignore' });
    started.push(bystander.pid!);
    const reusedDir = path.join(runRoot, 'rt-stale-1');
    fs.mkdirSync(reusedDir);
    fs.writeFileSync(path.join(reusedDir, 'qemu.pid'), String(bystander.pid));
    fs.writeFileSync(path.join(reusedDir, 'vnc.sock'), '');

    // Something in the run root that is not a run directory: left alone.
    fs.writeFileSync(path.join(runRoot, 'notes.txt'), 'keep me');

    const { killed, removed } = await cleanStaleRuns(
      runRoot,
      mockServices.logger.mock(),
    );
    expect(killed).toEqual([orphan]);
    expect(removed.sort()).toEqual(['rt-stale-0', 'rt-stale-1']);
    expect(await readCmdline(orphan)).toBeNull();
    expect(await readCmdline(bystander.pid!)).not.toBeNull();
    expect(fs.readdirSync(runRoot)).toEqual(['notes.txt']);
  });
});
