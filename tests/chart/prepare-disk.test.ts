// chart/files/prepare-disk.sh, the init container that prepares an instance's
// disk, run for real with stub `qemu-img`/`cp` commands in front of PATH. It never
// pulls: the emulator agent does (no oras binary anywhere); it only must not
// get in the agent's way.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHART } from './helpers.ts';

const SCRIPT = join(CHART, 'files', 'prepare-disk.sh');
type Stubs = {
  qemuImg?: boolean;
  cpFails?: boolean;
};

function setup(stubs: Stubs) {
  const root = mkdtempSync(join(tmpdir(), 'prepare-disk-'));
  const bin = join(root, 'bin');
  const vol = join(root, 'volume');
  mkdirSync(bin);
  mkdirSync(vol);
  const calls = join(root, 'calls.log');
  const stub = (name: string, body: string) => {
    writeFileSync(
      join(bin, name),
      `#!/bin/sh\necho "${name} $*" >>"${calls}"\n${body}\n`,
    );
    chmodSync(join(bin, name), 0o755);
  };
  if (stubs.qemuImg)
    stub('qemu-img', 'eval "last=\\${$#}"; echo "overlay" >"$last"');
  if (stubs.cpFails) stub('cp', 'echo "No space left on device" >&2; exit 1');
  const builtin = join(root, 'base.qcow2');
  writeFileSync(builtin, 'builtin-disk');
  return { root, bin, vol, calls, builtin, disk: join(vol, 'disk.qcow2') };
}

function runScript(t: ReturnType<typeof setup>, env: Record<string, string>) {
  const r = spawnSync('/bin/sh', [SCRIPT], {
    encoding: 'utf8',
    env: {
      PATH: `${t.bin}:/usr/bin:/bin`,
      LOCO_DISK: t.disk,
      LOCO_BUILTIN_DISK: t.builtin,
      ...env,
    },
  });
  const calls = existsSync(t.calls) ? readFileSync(t.calls, 'utf8') : '';
  const disk = existsSync(t.disk) ? readFileSync(t.disk, 'utf8') : undefined;
  const leftovers = readdirSync(t.vol).filter(f => f.startsWith('.prepare-'));
  const marker = existsSync(join(t.vol, '.loco-disk-source'))
    ? readFileSync(join(t.vol, '.loco-disk-source'), 'utf8')
    : undefined;
  rmSync(t.root, { recursive: true, force: true });
  return {
    status: r.status,
    out: r.stdout + r.stderr,
    calls,
    disk,
    marker,
    leftovers,
  };
}

const SNAP = {
  LOCO_SNAPSHOT_TAG: 'win98-base',
  LOCO_SNAPSHOT_REGISTRY: 'ghcr.io/org/snaps',
};

test('1. an existing disk is kept and nothing is touched', () => {
  const t = setup({ qemuImg: true });
  writeFileSync(t.disk, 'game-state');
  writeFileSync(
    join(t.vol, '.loco-disk-source'),
    'snapshot ghcr.io/org/snaps:win98-base\n',
  );
  const r = runScript(t, SNAP);
  assert.equal(r.status, 0);
  assert.equal(r.disk, 'game-state');
  assert.equal(r.marker, 'snapshot ghcr.io/org/snaps:win98-base\n');
  assert.equal(r.calls, '');
});

test('2. a snapshot tag leaves the empty volume to the agent, which pulls it (no built-in disk)', () => {
  const t = setup({ qemuImg: true });
  const r = runScript(t, {
    ...SNAP,
    LOCO_BUILTIN_DISK_MODE: 'overlay',
  });
  assert.equal(r.status, 0, r.out);
  assert.equal(r.disk, undefined, 'no silent fallback to the built-in disk');
  assert.equal(r.calls, '', 'nothing pulled or created here');
  assert.match(r.out, /pulled by the emulator agent/);
  assert.deepEqual(r.leftovers, []);
});

test('2. the script has no oras step left', () => {
  const script = readFileSync(SCRIPT, 'utf8')
    .split('\n')
    .filter(line => !line.trimStart().startsWith('#'))
    .join('\n');
  assert.doesNotMatch(script, /\boras\b/);
});

test('2. snapshot.pullPolicy Always marks an existing disk stale for the agent and keeps it', () => {
  const t = setup({});
  writeFileSync(t.disk, 'old');
  writeFileSync(
    join(t.vol, '.loco-disk-source'),
    'snapshot ghcr.io/org/snaps:win98-base\n',
  );
  const r = runScript(t, { ...SNAP, LOCO_SNAPSHOT_PULL_POLICY: 'Always' });
  assert.equal(r.status, 0, r.out);
  assert.equal(r.disk, 'old', 'the agent keeps it as the previous generation');
  // The agent replaces a disk whose marker does not name the snapshot asked for.
  assert.ok(
    r.marker?.startsWith('stale (snapshot.pullPolicy=Always): '),
    r.marker,
  );
  assert.notEqual(r.marker, 'snapshot ghcr.io/org/snaps:win98-base\n');
});

test('2. a tag without a registry defers to the emulator', () => {
  const t = setup({});
  const r = runScript(t, { LOCO_SNAPSHOT_TAG: 'win98-base' });
  assert.equal(r.status, 0);
  assert.equal(r.disk, undefined);
  assert.equal(r.calls, '');
  assert.match(r.out, /snapshot\.registry is empty/);
});

test('3. without a tag the built-in disk is copied', () => {
  const t = setup({});
  const r = runScript(t, { LOCO_BUILTIN_DISK_MODE: 'copy' });
  assert.equal(r.status, 0, r.out);
  assert.equal(r.disk, 'builtin-disk');
  assert.equal(r.marker, `builtin-copy ${t.builtin}\n`);
});

test('3. overlay mode creates a qcow2 backed by the built-in disk', () => {
  const t = setup({ qemuImg: true });
  const builtin = t.builtin;
  const r = runScript(t, { LOCO_BUILTIN_DISK_MODE: 'overlay' });
  assert.equal(r.status, 0, r.out);
  assert.equal(r.disk, 'overlay\n');
  assert.ok(
    r.calls.includes(`qemu-img create -q -f qcow2 -F qcow2 -b ${builtin} `),
    r.calls,
  );
});

test('3. a failed copy fails the init container and leaves no partial disk', () => {
  const t = setup({ cpFails: true });
  const r = runScript(t, { LOCO_BUILTIN_DISK_MODE: 'copy' });
  assert.equal(r.status, 1);
  assert.equal(r.disk, undefined);
  assert.deepEqual(r.leftovers, []);
});

test('4. no source at all exits 0 and leaves the volume empty', () => {
  const t = setup({});
  const r = runScript(t, { LOCO_BUILTIN_DISK: join(t.root, 'missing.qcow2') });
  assert.equal(r.status, 0, r.out);
  assert.equal(r.disk, undefined);
});

test('leftovers of an interrupted run are removed', () => {
  const t = setup({});
  writeFileSync(join(t.vol, '.prepare-disk.qcow2'), 'half');
  mkdirSync(join(t.vol, '.prepare-abc123'));
  const r = runScript(t, { LOCO_BUILTIN_DISK_MODE: 'copy' });
  assert.equal(r.disk, 'builtin-disk');
  assert.deepEqual(r.leftovers, []);
});

test(
  'an unwritable volume fails with advice',
  { skip: process.getuid?.() === 0 && 'root can write anywhere' },
  () => {
    const t = setup({});
    chmodSync(t.vol, 0o555);
    const r = runScript(t, {});
    assert.equal(r.status, 1);
    assert.match(r.out, /volumePermissions\.enabled/);
  },
);

test(
  'real qemu-img: the overlay is a qcow2 whose backing file is the built-in disk',
  { skip: !existsSync('/usr/bin/qemu-img') && 'qemu-img is not installed' },
  () => {
    const t = setup({});
    const base = join(t.root, 'real-base.qcow2');
    spawnSync('/usr/bin/qemu-img', [
      'create',
      '-q',
      '-f',
      'qcow2',
      base,
      '16M',
    ]);
    const r = spawnSync('/bin/sh', [SCRIPT], {
      encoding: 'utf8',
      env: {
        PATH: '/usr/bin:/bin',
        LOCO_DISK: t.disk,
        LOCO_BUILTIN_DISK: base,
        LOCO_BUILTIN_DISK_MODE: 'overlay',
      },
    });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const info = JSON.parse(
      spawnSync('/usr/bin/qemu-img', ['info', '--output=json', t.disk], {
        encoding: 'utf8',
      }).stdout,
    );
    rmSync(t.root, { recursive: true, force: true });
    assert.equal(info.format, 'qcow2');
    assert.equal(info['backing-filename'], base);
  },
);
