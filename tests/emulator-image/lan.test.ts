// (c) Two instances on the same LAN segment see each other, each started with
// the production command line (buildQemuArgs) on the environment's LAN.
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  buildDemoDisk,
  createOverlay,
  qemuCommandLine,
  removeDir,
  tempDir,
  Vm,
} from './helpers/vm.ts';

// A fresh environment name per run: its hash picks the multicast group and port,
// so this LAN cannot hear any other emulators on the machine.
const ENV = `lan${process.pid}`;
let dir: string;
const vms: Vm[] = [];

before(async () => {
  dir = await tempDir('loco-lan');
  buildDemoDisk(join(dir, 'base.qcow2'));
  for (const index of [0, 1]) {
    const runDir = join(dir, `i${index}`);
    await mkdir(runDir);
    createOverlay(join(dir, 'base.qcow2'), join(runDir, 'disk.qcow2'));
    const argv = qemuCommandLine({
      environment: ENV,
      index,
      count: 2,
      diskPath: join(runDir, 'disk.qcow2'),
      runDir,
    });
    vms.push(await Vm.start(argv, runDir));
  }
});

after(async () => {
  await Promise.all(vms.map(vm => vm.kill()));
  await removeDir(dir);
});

test(
  'each instance pings the other over the emulated NE2000 LAN',
  { timeout: 240_000 },
  async t => {
    const started = Date.now();
    const [a, b] = vms;
    const [rowsA, rowsB] = await Promise.all([
      a.waitForScreen(
        'peer 1 ok',
        r => r.some(l => l.includes(`LAN 10.77.0.10: ${ENV}-1 ok`)),
        200_000,
      ),
      b.waitForScreen(
        'peer 0 ok',
        r => r.some(l => l.includes(`LAN 10.77.0.11: ${ENV}-0 ok`)),
        200_000,
      ),
    ]);
    t.diagnostic(
      `both LAN lines ok after ${((Date.now() - started) / 1000).toFixed(
        1,
      )} s (two cold boots at once)`,
    );
    assert.ok(
      rowsA.join('\n').includes(`${ENV}-0`),
      'instance 0 shows its own name',
    );
    assert.ok(
      rowsB.join('\n').includes(`${ENV}-1`),
      'instance 1 shows its own name',
    );
  },
);
