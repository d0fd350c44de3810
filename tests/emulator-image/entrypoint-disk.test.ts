// The entrypoint's disk logic with real QEMU and the real health server: it
// never crash-loops on a missing disk (it waits and says why on /health),
// downloads the snapshot itself when the init container could not (oras; here
// a test double of the oras CLI), and uses the built-in disk through an overlay.
// Also: the sound card and shared folder arguments are accepted by real QEMU.
import assert from 'node:assert/strict';
import {
  chmod,
  copyFile,
  mkdir,
  readdir,
  readFile,
  writeFile,
} from 'node:fs/promises';
import net from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  demoDisk,
  getText,
  startEntrypoint,
  waitForHealth,
} from './helpers/health.ts';
import { Qmp } from './helpers/qmp.ts';
import {
  createOverlay,
  removeDir,
  run,
  tempDir,
  type Vm,
} from './helpers/vm.ts';

const HEALTH_PORT = 7521;
let dir: string;
let base: string;
let vm: Vm | undefined;
let n = 0;

before(async () => {
  dir = await tempDir('img-disk');
  base = demoDisk(dir);
});

after(async () => {
  await vm?.kill();
  await removeDir(dir);
});

/** A fresh run directory and volume, and the variables of a pod without a disk yet. */
async function scenario(extra: Record<string, string> = {}) {
  await vm?.kill();
  const root = join(dir, `s${++n}`);
  await mkdir(join(root, 'run'), { recursive: true });
  await mkdir(join(root, 'volume'));
  const env: Record<string, string> = {
    LOCO_ENV: 'img-disk',
    LOCO_DISK: join(root, 'volume/disk.qcow2'),
    LOCO_RUN_DIR: join(root, 'run'),
    LOCO_NETDEV: '',
    LOCO_HEALTH_LISTEN: `127.0.0.1:${HEALTH_PORT}`,
    LOCO_HEALTH_INTERVAL: '1',
    LOCO_RETRY_SECONDS: '1',
    LOCO_STOP_TIMEOUT: '1',
    ...extra,
  };
  return { root, env };
}

/** An `oras` test double: `oras pull REF --output DIR [...]`, recording its arguments. */
async function orasStub(root: string, behaviour: string): Promise<string> {
  const bin = join(root, 'bin');
  await mkdir(bin);
  await writeFile(
    join(bin, 'oras'),
    `#!/bin/bash\nset -e\nprintf '%s\\n' "$@" >"${root}/oras-args"\n[[ $1 == pull && $3 == --output ]]\n${behaviour}\n`,
  );
  await chmod(join(bin, 'oras'), 0o755);
  return `${bin}:${process.env.PATH}`;
}

test(
  'no disk and nothing to download: it waits (no crash loop), says why, and uses a disk once one appears',
  { timeout: 60_000 },
  async () => {
    const { root, env } = await scenario();
    vm = await startEntrypoint(env.LOCO_RUN_DIR, env);
    const waiting = await waitForHealth(
      vm,
      HEALTH_PORT,
      'the reason',
      r => r.body.reasons.length > 1,
      20_000,
    );
    // The rules' reason, then the entrypoint's (deriveInstanceHealth's `notes`).
    assert.equal(waiting.body.reasons[0], 'emulator process is not running');
    assert.match(
      waiting.body.reasons[1],
      /^no disk at .*volume\/disk\.qcow2, and no snapshot to download/,
    );
    assert.equal(waiting.body.state, 'unhealthy');
    assert.equal(waiting.body.facts.processAlive, false);
    assert.equal(waiting.status, 200, 'liveness: restarting would not help');
    assert.equal((await getText(HEALTH_PORT, '/ready')).status, 503);

    createOverlay(base, join(root, 'volume/disk.qcow2'));
    const up = await waitForHealth(
      vm,
      HEALTH_PORT,
      'QEMU',
      r => r.body.facts.processAlive,
      30_000,
    );
    assert.equal(up.body.facts.bootMode, 'cold');
    assert.ok(!up.body.reasons.some(r => r.includes('no disk')));
    vm.process.kill('SIGTERM');
    assert.ok(await vm.exitsWithin(20_000));
  },
);

test(
  'a snapshot to download but no oras in the image: the reason says so and the container keeps waiting',
  { timeout: 60_000 },
  async () => {
    const { env } = await scenario({
      LOCO_SNAPSHOT_TAG: 'img-tag',
      LOCO_SNAPSHOT_REGISTRY: 'registry.example/loco/snapshots',
      PATH: '/usr/bin:/bin', // no oras here (as in the image)
    });
    assert.notEqual(
      run('bash', ['-c', 'command -v oras'], { PATH: env.PATH }).status,
      0,
    );
    vm = await startEntrypoint(env.LOCO_RUN_DIR, env);
    const waiting = await waitForHealth(
      vm,
      HEALTH_PORT,
      'the reason',
      r => r.body.reasons.length > 1,
      20_000,
    );
    assert.match(
      waiting.body.reasons[1],
      /cannot download snapshot registry\.example\/loco\/snapshots:img-tag: oras is not installed in this image/,
    );
    // Still waiting a few retries later, not exited (a crash loop would restart the pod).
    await sleep(3_000);
    assert.equal(vm.process.exitCode, null);
    assert.match(
      (
        await waitForHealth(
          vm,
          HEALTH_PORT,
          'the reason again',
          () => true,
          5_000,
        )
      ).body.reasons[1],
      /oras is not installed/,
    );
    vm.process.kill('SIGTERM');
    assert.ok(await vm.exitsWithin(10_000), 'a stop while waiting is prompt');
  },
);

test(
  'the main container pulls the snapshot itself and boots it; the disk appears whole',
  { timeout: 60_000 },
  async () => {
    const { root, env } = await scenario({
      LOCO_SNAPSHOT_TAG: 'img-tag',
      LOCO_SNAPSHOT_REGISTRY: 'registry.example/loco/snapshots',
    });
    const artifact = join(root, 'artifact.qcow2');
    createOverlay(base, artifact);
    env.PATH = await orasStub(root, `cp "${artifact}" "$4/win98.qcow2"`);
    vm = await startEntrypoint(env.LOCO_RUN_DIR, env);
    const up = await waitForHealth(
      vm,
      HEALTH_PORT,
      'QEMU on the pulled disk',
      r => r.body.facts.processAlive,
      30_000,
    );
    assert.equal(
      up.body.facts.bootMode,
      'cold',
      'the artifact holds no RAM snapshot named img-tag',
    );
    const args = (await readFile(join(root, 'oras-args'), 'utf8'))
      .trimEnd()
      .split('\n');
    assert.deepEqual(args.slice(0, 3), [
      'pull',
      'registry.example/loco/snapshots:img-tag',
      '--output',
    ]);
    assert.match(
      args[3],
      /volume\/\.prepare-/,
      'downloaded next to the disk, then renamed into place',
    );
    assert.deepEqual((await readdir(join(root, 'volume'))).sort(), [
      '.loco-disk-source',
      'disk.qcow2',
    ]);
    assert.equal(
      await readFile(join(root, 'volume/.loco-disk-source'), 'utf8'),
      'snapshot registry.example/loco/snapshots:img-tag\n',
    );
    vm.process.kill('SIGTERM');
    assert.ok(await vm.exitsWithin(20_000));
  },
);

test(
  "a failed pull: oras's own error on /health, nothing half-written left behind",
  { timeout: 60_000 },
  async () => {
    const { root, env } = await scenario({
      LOCO_SNAPSHOT_TAG: 'img-tag',
      LOCO_SNAPSHOT_REGISTRY: 'registry.example/loco/snapshots',
    });
    env.PATH = await orasStub(
      root,
      `echo "Error: unauthorized: authentication required" >&2\nexit 1`,
    );
    vm = await startEntrypoint(env.LOCO_RUN_DIR, env);
    const failed = await waitForHealth(
      vm,
      HEALTH_PORT,
      'the reason',
      r => /failed/.test(r.body.reasons[1] ?? ''),
      20_000,
    );
    assert.match(
      failed.body.reasons[1],
      /download of snapshot registry\.example\/loco\/snapshots:img-tag failed: Error: unauthorized/,
    );
    assert.deepEqual(await readdir(join(root, 'volume')), []);
    vm.process.kill('SIGTERM');
    assert.ok(await vm.exitsWithin(10_000));
  },
);

test(
  'without LOCO_DISK the built-in disk is used through an overlay; the base is never written',
  { timeout: 60_000 },
  async () => {
    const { root, env } = await scenario({
      LOCO_BUILTIN_DISK: join(dir, 'builtin.qcow2'),
    });
    await copyFile(base, env.LOCO_BUILTIN_DISK);
    delete env.LOCO_DISK;
    const before = run('sha256sum', [env.LOCO_BUILTIN_DISK]).stdout;
    vm = await startEntrypoint(env.LOCO_RUN_DIR, env);
    await waitForHealth(
      vm,
      HEALTH_PORT,
      'QEMU',
      r => r.body.facts.processAlive,
      30_000,
    );
    const info = JSON.parse(
      run('qemu-img', [
        'info',
        '-U',
        '--output=json',
        join(root, 'run/disk.qcow2'),
      ]).stdout,
    );
    assert.equal(info['backing-filename'], env.LOCO_BUILTIN_DISK);
    vm.process.kill('SIGTERM');
    assert.ok(await vm.exitsWithin(20_000));
    assert.equal(run('sha256sum', [env.LOCO_BUILTIN_DISK]).stdout, before);
  },
);

test(
  'LOCO_SOUND and LOCO_SHARED_DIR: real QEMU has the card and the host folder as a FAT drive',
  { timeout: 60_000 },
  async () => {
    const { root, env } = await scenario({
      LOCO_SOUND: 'ac97',
      LOCO_HEALTH_LISTEN: '',
    });
    const shared = join(root, 'shared');
    await mkdir(shared);
    env.LOCO_SHARED_DIR = shared;
    createOverlay(base, env.LOCO_DISK);
    vm = await startEntrypoint(env.LOCO_RUN_DIR, env);
    const qmp = await Qmp.connect(join(env.LOCO_RUN_DIR, 'qmp.sock'), 20_000);
    try {
      const pci: Array<{
        devices: Array<{ id: { vendor: number; device: number } }>;
      }> = await qmp.execute('query-pci');
      const ids = pci.flatMap(bus =>
        bus.devices.map(
          d => `${d.id.vendor.toString(16)}:${d.id.device.toString(16)}`,
        ),
      );
      assert.ok(
        ids.includes('8086:2415'),
        `AC97 on the PCI bus: ${ids.join(' ')}`,
      );
      const blocks: Array<{ device: string; inserted?: { file: string } }> =
        await qmp.execute('query-block');
      const fat = blocks.find(b => b.device === 'ide0-hd1');
      assert.ok(fat?.inserted, `the primary slave: ${JSON.stringify(blocks)}`);
      const node = JSON.parse(fat.inserted.file.replace(/^json:/, ''));
      assert.deepEqual(
        [node.file.driver, node.file.dir, node.file.rw],
        ['vvfat', shared, true],
      );
      // QEMU 7.2 keeps vvfat's write overlay in /var/tmp whatever TMPDIR says:
      // the chart mounts an emptyDir there (the root filesystem is read-only).
      assert.match(node.file['write-target'].file.filename, /^\/var\/tmp\//);
    } finally {
      qmp.close();
    }
    vm.process.kill('SIGTERM');
    assert.ok(await vm.exitsWithin(20_000));
  },
);

test(
  'LOCO_ACCEL=kvm is verified: where KVM cannot run the guest, it falls back to TCG and says so',
  { timeout: 240_000 },
  async t => {
    const { env } = await scenario({ LOCO_ACCEL: 'kvm' });
    createOverlay(base, env.LOCO_DISK);
    const started = Date.now();
    vm = await startEntrypoint(env.LOCO_RUN_DIR, env);
    // A KVM that cannot run the guest fails early in its boot (here ~12 s into
    // it, later under load); a guest still healthy on KVM after a minute is
    // taken as working KVM.
    const settled = await waitForHealth(
      vm,
      HEALTH_PORT,
      'the guest on its final accelerator',
      r =>
        r.body.state === 'healthy' &&
        (r.body.facts.accelerator === 'tcg' ||
          (r.body.facts.accelerator === 'kvm' &&
            Date.now() - started > 60_000)),
      200_000,
    );
    const log = await vm.log();
    const fellBack = /falling back to TCG|not usable here; running on TCG/.test(
      log,
    );
    t.diagnostic(
      fellBack
        ? `fell back: ${
            /KVM requested but unusable here \(([^)]*)\)/.exec(
              JSON.stringify(settled.body),
            )?.[1]
          }`
        : 'KVM runs the guest',
    );
    // Whatever this machine's KVM does, the guest runs and /health names the
    // accelerator QEMU really uses (query-kvm), with the fallback as a note.
    assert.equal(settled.body.facts.accelerator, fellBack ? 'tcg' : 'kvm');
    assert.equal(
      settled.body.reasons.some(r =>
        /^KVM requested but unusable here \(.*\); running on TCG$/.test(r),
      ),
      fellBack,
    );
    vm.process.kill('SIGTERM');
    assert.ok(await vm.exitsWithin(30_000));
  },
);

test(
  'a TCP LAN (the chart hub mode): QEMU starts only once the hub accepts, then joins it',
  { timeout: 90_000 },
  async () => {
    const HUB_PORT = 7531;
    const { env } = await scenario({
      LOCO_NETDEV: `socket,id=lan0,connect=127.0.0.1:${HUB_PORT}`,
    });
    createOverlay(base, env.LOCO_DISK);
    vm = await startEntrypoint(env.LOCO_RUN_DIR, env);
    const waiting = await waitForHealth(
      vm,
      HEALTH_PORT,
      'waiting for the hub',
      r =>
        r.body.reasons[0] === `waiting for the LAN hub 127.0.0.1:${HUB_PORT}`,
      20_000,
    );
    assert.equal(waiting.body.state, 'starting');
    assert.equal(waiting.body.facts.processAlive, false);

    // The hub comes up: a TCP listener standing in for one port of QEMU's hub.
    const connections: net.Socket[] = [];
    const hub = net.createServer(socket => connections.push(socket));
    await new Promise<void>(resolve =>
      hub.listen(HUB_PORT, '127.0.0.1', resolve),
    );
    try {
      await waitForHealth(
        vm,
        HEALTH_PORT,
        'QEMU',
        r => r.body.facts.processAlive,
        30_000,
      );
      while (connections.length < 2) await sleep(200);
      // First the entrypoint's connect-and-close probe, then QEMU, which stays.
      assert.equal(connections.at(-1)!.readyState, 'open');
      vm.process.kill('SIGTERM');
      assert.ok(await vm.exitsWithin(20_000));
    } finally {
      connections.forEach(c => c.destroy());
      hub.close();
    }
  },
);
