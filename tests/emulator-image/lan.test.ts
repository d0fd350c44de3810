// (c) Two instances on the same LAN segment see each other, both started by
// entrypoint.sh itself; SIGTERM to the entrypoint powers the guest off cleanly.
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  buildDemoDisk,
  createOverlay,
  ENTRYPOINT,
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
    const env = {
      LOCO_ENV: ENV,
      LOCO_INSTANCE_INDEX: String(index),
      LOCO_INSTANCE_COUNT: '2',
      LOCO_DISK: join(runDir, 'disk.qcow2'),
      LOCO_RUN_DIR: runDir,
      LOCO_STOP_TIMEOUT: '20',
    };
    vms.push(await Vm.start(['bash', ENTRYPOINT], runDir, env));
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

test(
  'SIGTERM to entrypoint.sh shuts the guest down through ACPI',
  { timeout: 60_000 },
  async t => {
    // QEMU's QMP socket serves one client at a time: let the entrypoint have it.
    for (const vm of vms) vm.qmp?.close();
    const started = Date.now();
    for (const vm of vms) vm.process.kill('SIGTERM'); // the entrypoint only, not its QEMU
    for (const vm of vms) {
      assert.ok(await vm.exitsWithin(20_000), 'entrypoint exited');
      assert.equal((await vm.exited).code, 0, await vm.log());
      const log = await vm.log();
      assert.match(log, /stop requested: ACPI power button/);
      assert.doesNotMatch(
        log,
        /asking QEMU to quit|killing it/,
        'the guest powered off by itself',
      );
      assert.match(log, /QEMU exited with status 0/);
    }
    t.diagnostic(
      `SIGTERM to both exited: ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
  },
);
