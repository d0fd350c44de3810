// (e) entrypoint.sh: the QEMU command line equals the TypeScript runtime's, the
// inputs are validated, and SIGTERM handling ends QEMU in every case.
import assert from 'node:assert/strict';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  buildQemuArgs,
  multicastNetdev,
  type QemuLaunchSpec,
} from '../../plugins/loco-node/src/local/qemuArgs.ts';
import {
  instanceMac,
  lanEndpoint,
} from '../../plugins/loco-node/src/local/lanAddress.ts';
import {
  ENTRYPOINT,
  qemuCommandLine,
  removeDir,
  run,
  tempDir,
  Vm,
} from './helpers/vm.ts';

let dir: string;
let disk: string;

before(async () => {
  dir = await tempDir('loco-entrypoint');
  disk = join(dir, 'disk.qcow2');
  assert.equal(
    run('qemu-img', ['create', '-q', '-f', 'qcow2', disk, '16M']).status,
    0,
  );
  // An internal snapshot (disk-only is enough for `qemu-img snapshot -l` to list it).
  assert.equal(run('qemu-img', ['snapshot', '-c', 'booted', disk]).status, 0);
});

after(() => removeDir(dir));

const base = () => ({
  LOCO_ENV: 'loco-demo',
  LOCO_INSTANCE_INDEX: '2',
  LOCO_INSTANCE_COUNT: '4',
  LOCO_DISK: disk,
  LOCO_RUN_DIR: '/run/loco-demo-2',
});

test('defaults: the same vector as the TypeScript builder', () => {
  const lan = lanEndpoint('loco-demo');
  const expected = buildQemuArgs({
    environment: 'loco-demo',
    name: 'loco-demo-2',
    index: 2,
    count: 4,
    diskPath: disk,
    runDir: '/run/loco-demo-2',
    memoryMb: 128,
    vga: 'std',
    accel: 'tcg',
    netdev: multicastNetdev(lan.group, lan.port),
    mac: instanceMac('loco-demo', 2),
    extraArgs: [],
  });
  assert.deepEqual(qemuCommandLine(base()), [
    'qemu-system-x86_64',
    ...expected,
  ]);
});

test('every option set: still the same vector as the TypeScript builder', () => {
  const extraArgs = ['-usb', '-device', 'usb-tablet', '-append', 'two words *'];
  const expected = buildQemuArgs({
    environment: 'loco-demo',
    name: 'pc-7',
    index: 2,
    count: 4,
    diskPath: disk,
    runDir: '/run/loco-demo-2',
    memoryMb: 256,
    vga: 'cirrus',
    accel: 'kvm',
    netdev: 'socket,id=lan0,connect=hub-2.ns.svc:5555',
    mac: instanceMac('loco-demo', 2),
    loadSnapshot: 'booted',
    extraArgs,
  });
  const actual = qemuCommandLine({
    ...base(),
    LOCO_INSTANCE_NAME: 'pc-7',
    LOCO_MEMORY_MB: '256',
    LOCO_VGA: 'cirrus',
    LOCO_ACCEL: 'kvm',
    LOCO_NETDEV: 'socket,id=lan0,connect=hub-2.ns.svc:5555',
    LOCO_SNAPSHOT_TAG: 'booted',
    // One argument per line, verbatim: no word splitting, no globbing.
    LOCO_EXTRA_ARGS: `${extraArgs.join('\n')}\n`,
  });
  assert.deepEqual(actual, ['qemu-system-x86_64', ...expected]);
});

// Sound and the shared folder: the TypeScript builder has the same options
// (QemuLaunchSpec.sound / sharedDir / sharedDirMode) and must give the same
// vector. The one argument that differs is -vnc: LOCO_VNC replaces its address
// (the image sets TCP 0.0.0.0:1, because in a pod the viewer is another pod);
// the local runtime always uses its unix socket.
const tsVector = (overrides: Partial<QemuLaunchSpec> = {}) => {
  const lan = lanEndpoint('loco-demo');
  return [
    'qemu-system-x86_64',
    ...buildQemuArgs({
      environment: 'loco-demo',
      name: 'loco-demo-2',
      index: 2,
      count: 4,
      diskPath: disk,
      runDir: '/run/loco-demo-2',
      memoryMb: 128,
      vga: 'std',
      accel: 'tcg',
      netdev: multicastNetdev(lan.group, lan.port),
      mac: instanceMac('loco-demo', 2),
      extraArgs: [],
      ...overrides,
    }),
  ];
};
const withVnc = (argv: string[], value: string) =>
  argv.map((a, i) => (argv[i - 1] === '-vnc' ? value : a));

test('LOCO_VNC changes only the address in -vnc: the one difference from the local runtime', () => {
  const expected = tsVector();
  assert.equal(
    expected[expected.indexOf('-vnc') + 1],
    'unix:/run/loco-demo-2/vnc.sock',
    'the local runtime: a unix socket',
  );
  const actual = qemuCommandLine({ ...base(), LOCO_VNC: '0.0.0.0:1' });
  assert.deepEqual(actual, withVnc(expected, '0.0.0.0:1'));
  const differing = actual.filter((a, i) => a !== expected[i]);
  assert.deepEqual(differing, ['0.0.0.0:1']);
});

for (const sound of ['sb16', 'ac97', 'es1370'] as const) {
  test(`LOCO_SOUND=${sound}: the same vector as the local runtime's sound option (audio on the VNC server)`, () => {
    const actual = qemuCommandLine({
      ...base(),
      LOCO_SOUND: sound,
      LOCO_EXTRA_ARGS: '-usb',
    });
    assert.deepEqual(actual, tsVector({ sound, extraArgs: ['-usb'] }));
    assert.ok(actual.includes('none,id=snd0'), 'a host-less audio backend');
    const viaTcp = qemuCommandLine({
      ...base(),
      LOCO_SOUND: sound,
      LOCO_VNC: '0.0.0.0:1',
    });
    assert.deepEqual(
      viaTcp,
      withVnc(tsVector({ sound }), '0.0.0.0:1,audiodev=snd0'),
    );
  });
}

test('LOCO_SOUND=none (the chart default) adds nothing', () => {
  assert.deepEqual(
    qemuCommandLine({ ...base(), LOCO_SOUND: 'none' }),
    tsVector(),
  );
});

test('LOCO_SHARED_DIR: a read-write FAT drive on the primary slave, as the local runtime builds it', () => {
  const actual = qemuCommandLine({ ...base(), LOCO_SHARED_DIR: '/shared' });
  assert.deepEqual(actual, tsVector({ sharedDir: '/shared' }));
  assert.ok(actual.includes('file=fat:rw:/shared,format=raw,if=ide,index=1'));
});

test('LOCO_SHARED_DIR_MODE=ro: a CD-ROM, and snapshots still load', () => {
  const actual = qemuCommandLine({
    ...base(),
    LOCO_SHARED_DIR: '/shared',
    LOCO_SHARED_DIR_MODE: 'ro',
    LOCO_SNAPSHOT_TAG: 'booted',
  });
  assert.deepEqual(
    actual,
    tsVector({
      sharedDir: '/shared',
      sharedDirMode: 'ro',
      loadSnapshot: 'booted',
    }),
  );
  assert.ok(
    actual.includes('file=fat:/shared,format=raw,if=ide,index=1,media=cdrom'),
  );
});

test('a read-write shared folder means a cold boot: QEMU cannot load snapshots with it attached', () => {
  const result = run('bash', [ENTRYPOINT, '--print-qemu-args'], {
    ...base(),
    LOCO_SHARED_DIR: '/shared',
    LOCO_SNAPSHOT_TAG: 'booted',
  });
  assert.equal(result.status, 0, result.stderr);
  assert.ok(!result.stdout.split('\n').includes('-loadvm'));
  assert.match(result.stderr, /cannot load snapshot 'booted'/);
});

test('LOCO_SAVE_ON_STOP without a tag resumes from the "loco-stop" snapshot it saves', () => {
  const tagged = join(dir, 'stopped.qcow2');
  assert.equal(
    run('qemu-img', ['create', '-q', '-f', 'qcow2', tagged, '16M']).status,
    0,
  );
  assert.equal(
    run('qemu-img', ['snapshot', '-c', 'loco-stop', tagged]).status,
    0,
  );
  const argv = qemuCommandLine({
    ...base(),
    LOCO_DISK: tagged,
    LOCO_SAVE_ON_STOP: 'true',
  });
  assert.deepEqual(argv.slice(argv.indexOf('-loadvm')), [
    '-loadvm',
    'loco-stop',
  ]);
  assert.ok(
    !qemuCommandLine({ ...base(), LOCO_DISK: tagged }).includes('-loadvm'),
    'not without LOCO_SAVE_ON_STOP',
  );
});

test('MAC addresses are stable and unique per index', () => {
  const macs = [0, 1, 2, 3].map(i => {
    const argv = qemuCommandLine({ ...base(), LOCO_INSTANCE_INDEX: String(i) });
    return /mac=([0-9a-f:]+),/.exec(argv[argv.indexOf('-device') + 1])![1];
  });
  assert.deepEqual(
    macs,
    [0, 1, 2, 3].map(i => instanceMac('loco-demo', i)),
  );
  assert.equal(new Set(macs).size, 4);
});

test('a snapshot tag missing from the disk means a cold boot, with a warning', () => {
  const result = run('bash', [ENTRYPOINT, '--print-qemu-args'], {
    ...base(),
    LOCO_SNAPSHOT_TAG: 'nope',
  });
  assert.equal(result.status, 0);
  assert.ok(!result.stdout.split('\n').includes('-loadvm'));
  assert.match(result.stderr, /snapshot 'nope' not found/);
});

test('an empty LOCO_NETDEV means no network card', () => {
  const argv = qemuCommandLine({ ...base(), LOCO_NETDEV: '' });
  assert.ok(!argv.includes('-netdev') && !argv.includes('-device'));
});

const invalid: Array<[string, Record<string, string | undefined>, RegExp]> = [
  [
    'a name with ;',
    { LOCO_INSTANCE_NAME: 'pc;reboot' },
    /LOCO_INSTANCE_NAME must match/,
  ],
  ['an upper-case env', { LOCO_ENV: 'Loco' }, /LOCO_ENV must match/],
  ['no env', { LOCO_ENV: undefined }, /LOCO_ENV is required/],
  [
    'non-numeric memory',
    { LOCO_MEMORY_MB: '128M' },
    /LOCO_MEMORY_MB must be a decimal number/,
  ],
  [
    'octal-looking memory',
    { LOCO_MEMORY_MB: '0128' },
    /LOCO_MEMORY_MB must be a decimal number/,
  ],
  [
    'an index past the count',
    { LOCO_INSTANCE_INDEX: '4' },
    /LOCO_INSTANCE_INDEX must be between 0 and 3/,
  ],
  [
    'a negative index',
    { LOCO_INSTANCE_INDEX: '-1' },
    /LOCO_INSTANCE_INDEX must be a decimal number/,
  ],
  [
    'an unknown VGA',
    { LOCO_VGA: 'std -hda /etc/passwd' },
    /LOCO_VGA must be one of/,
  ],
  ['an unknown accelerator', { LOCO_ACCEL: 'hvf' }, /LOCO_ACCEL must be/],
  [
    'a netdev without id=lan0',
    { LOCO_NETDEV: 'user,id=lan1' },
    /LOCO_NETDEV must look like/,
  ],
  [
    'a disk path with a comma',
    { LOCO_DISK: '/tmp/a,b.qcow2' },
    /LOCO_DISK must not contain commas/,
  ],
  [
    'a snapshot tag with a space',
    { LOCO_SNAPSHOT_TAG: 'a b' },
    /LOCO_SNAPSHOT_TAG must match/,
  ],
  [
    'a non-multicast LAN group',
    { LOCO_LAN_GROUP: '10.0.0.1' },
    /LOCO_LAN_GROUP must be an IPv4 multicast/,
  ],
  [
    'a VNC address with options',
    { LOCO_VNC: '0.0.0.0:1,password=on' },
    /LOCO_VNC must be/,
  ],
  ['a VNC host name', { LOCO_VNC: 'example.org:1' }, /LOCO_VNC must be/],
  ['a VNC display past port 65535', { LOCO_VNC: ':59636' }, /LOCO_VNC must be/],
  ['an unknown sound card', { LOCO_SOUND: 'gus' }, /LOCO_SOUND must be one of/],
  [
    'a relative shared folder',
    { LOCO_SHARED_DIR: 'shared' },
    /LOCO_SHARED_DIR must be an absolute path/,
  ],
  [
    'a shared folder with a colon',
    { LOCO_SHARED_DIR: '/a:b' },
    /LOCO_SHARED_DIR must be an absolute path without ':'/,
  ],
  [
    'a shared folder with a comma',
    { LOCO_SHARED_DIR: '/a,b' },
    /LOCO_SHARED_DIR must not contain commas/,
  ],
  [
    'an unknown shared folder mode',
    { LOCO_SHARED_DIR_MODE: 'wo' },
    /LOCO_SHARED_DIR_MODE must be rw or ro/,
  ],
  [
    'a non-boolean save-on-stop',
    { LOCO_SAVE_ON_STOP: 'yes' },
    /LOCO_SAVE_ON_STOP must be true or false/,
  ],
  [
    'a registry with a tag',
    { LOCO_SNAPSHOT_REGISTRY: 'ghcr.io/org/snap:tag x' },
    /LOCO_SNAPSHOT_REGISTRY must be/,
  ],
  [
    'a health address without a port',
    { LOCO_HEALTH_LISTEN: '0.0.0.0' },
    /LOCO_HEALTH_LISTEN must be HOST:PORT/,
  ],
];
for (const [what, override, message] of invalid) {
  test(`rejects ${what}`, () => {
    const result = run('bash', [ENTRYPOINT, '--print-qemu-args'], {
      ...base(),
      ...override,
    });
    assert.equal(result.status, 2, result.stdout);
    assert.match(result.stderr, message);
    assert.equal(result.stdout, '', 'prints no command line');
  });
}

test('rejects unknown arguments', () => {
  const result = run('bash', [ENTRYPOINT, '--frobnicate'], base());
  assert.equal(result.status, 2);
  assert.match(result.stderr, /unknown argument/);
});

test(
  'SIGTERM: a QEMU that ignores QMP and SIGTERM is killed; run mode uses the printed vector',
  { timeout: 30_000 },
  async () => {
    // A stand-in QEMU that records its arguments, then hangs and ignores SIGTERM.
    const bin = join(dir, 'bin');
    await mkdir(bin);
    const stub = join(bin, 'qemu-system-x86_64');
    await writeFile(
      stub,
      `#!/bin/bash\nprintf '%s\\n' "$@" >"${dir}/stub-args"\ntrap '' TERM\nexec sleep 600\n`,
    );
    await chmod(stub, 0o755);
    const runDir = join(dir, 'run');
    const env = {
      ...base(),
      LOCO_RUN_DIR: runDir,
      LOCO_STOP_TIMEOUT: '1',
      PATH: `${bin}:${process.env.PATH}`,
    };
    await mkdir(runDir);
    // The stub offers no QMP socket, so do not wait for one.
    const vm = await Vm.startNoQmp(['bash', ENTRYPOINT], runDir, env);
    try {
      await waitForFile(join(dir, 'stub-args'));
      vm.process.kill('SIGTERM');
      assert.ok(await vm.exitsWithin(15_000), 'entrypoint exited');
      assert.equal(
        (await vm.exited).code,
        137,
        'reports that QEMU had to be killed',
      );
      assert.match(await vm.log(), /sending it SIGTERM[\s\S]*killing it/);
      const printed = qemuCommandLine({ ...base(), LOCO_RUN_DIR: runDir });
      assert.deepEqual(
        (await readFile(join(dir, 'stub-args'), 'utf8')).trimEnd().split('\n'),
        printed.slice(1),
      );
    } finally {
      await vm.kill();
    }
  },
);

async function waitForFile(file: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if ((await readFile(file, 'utf8').catch(() => '')).length > 0) return;
    await sleep(100);
  }
  throw new Error(`${file} never appeared`);
}
