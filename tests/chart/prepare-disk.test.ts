// chart/files/prepare-disk.sh, the init container that prepares an instance's
// disk, run for real with stub `oras`/`qemu-img`/`cp` commands in front of PATH.
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
const hasOrasOnSystem = [
  '/usr/bin/oras',
  '/bin/oras',
  '/usr/local/bin/oras',
].some(existsSync);

type Stubs = {
  oras?: 'ok' | 'fail' | 'two-files';
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
  if (stubs.oras) {
    // oras pull REF --output DIR [...]: writes the artifact's files into DIR.
    stub(
      'oras',
      `out=$4
case "${stubs.oras}" in
  ok) echo "snapshot-of-$2" >"$out/disk.qcow2" ;;
  two-files) echo a >"$out/a.qcow2"; echo b >"$out/b.qcow2" ;;
  fail) echo "unauthorized" >&2; exit 1 ;;
esac`,
    );
  }
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
  rmSync(t.root, { recursive: true, force: true });
  return { status: r.status, out: r.stdout + r.stderr, calls, disk, leftovers };
}

const SNAP = {
  LOCO_SNAPSHOT_TAG: 'win98-base',
  LOCO_SNAPSHOT_REGISTRY: 'ghcr.io/org/snaps',
};

test('1. an existing disk is kept and nothing is pulled', () => {
  const t = setup({ oras: 'ok' });
  writeFileSync(t.disk, 'game-state');
  const r = runScript(t, SNAP);
  assert.equal(r.status, 0);
  assert.equal(r.disk, 'game-state');
  assert.equal(r.calls, '');
});

test('2. a snapshot tag is pulled from the registry with oras', () => {
  const t = setup({ oras: 'ok', qemuImg: true });
  const r = runScript(t, {
    ...SNAP,
    LOCO_REGISTRY_CONFIG: '/etc/loco/registry/config.json',
  });
  assert.equal(r.status, 0, r.out);
  assert.equal(r.disk, 'snapshot-of-ghcr.io/org/snaps:win98-base\n');
  assert.match(
    r.calls,
    /^oras pull ghcr\.io\/org\/snaps:win98-base --output \S+ --registry-config \/etc\/loco\/registry\/config\.json$/m,
  );
  assert.doesNotMatch(
    r.calls,
    /qemu-img/,
    'the built-in disk is not used when a tag is set',
  );
  assert.deepEqual(r.leftovers, []);
});

test('2. snapshot.pullPolicy Always replaces an existing disk', () => {
  const t = setup({ oras: 'ok' });
  writeFileSync(t.disk, 'old');
  const r = runScript(t, { ...SNAP, LOCO_SNAPSHOT_PULL_POLICY: 'Always' });
  assert.equal(r.status, 0, r.out);
  assert.match(r.disk ?? '', /^snapshot-of-/);
});

test(
  '2. without oras in the image the pod is not blocked; the emulator downloads',
  { skip: hasOrasOnSystem && 'oras is installed on this machine' },
  () => {
    const t = setup({});
    const r = runScript(t, SNAP);
    assert.equal(r.status, 0, r.out);
    assert.equal(r.disk, undefined, 'no silent fallback to the built-in disk');
    assert.match(r.out, /the emulator will handle it/);
  },
);

test('2. a failed pull does not block the pod and leaves nothing behind', () => {
  const t = setup({ oras: 'fail' });
  const r = runScript(t, SNAP);
  assert.equal(r.status, 0, r.out);
  assert.equal(r.disk, undefined);
  assert.deepEqual(r.leftovers, []);
  assert.match(r.out, /pull of ghcr\.io\/org\/snaps:win98-base failed/);
});

test('2. an artifact without exactly one qcow2 is refused', () => {
  const t = setup({ oras: 'two-files' });
  const r = runScript(t, SNAP);
  assert.equal(r.status, 0);
  assert.equal(r.disk, undefined);
  assert.deepEqual(r.leftovers, []);
});

test('2. a tag without a registry defers to the emulator', () => {
  const t = setup({ oras: 'ok' });
  const r = runScript(t, { LOCO_SNAPSHOT_TAG: 'win98-base' });
  assert.equal(r.status, 0);
  assert.equal(r.disk, undefined);
  assert.equal(r.calls, '');
});

test('3. without a tag the built-in disk is copied', () => {
  const t = setup({ oras: 'ok' });
  const r = runScript(t, { LOCO_BUILTIN_DISK_MODE: 'copy' });
  assert.equal(r.status, 0, r.out);
  assert.equal(r.disk, 'builtin-disk');
  assert.equal(r.calls, '', 'nothing pulled');
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
