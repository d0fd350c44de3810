// (a) demo-disk/build.sh produces a qcow2 that qemu-img accepts.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  BUILD_SCRIPT,
  buildDemoDisk,
  removeDir,
  run,
  tempDir,
} from './helpers/vm.ts';

test(
  'build.sh builds a ~10 MB qcow2 demo disk, and again from its cache',
  { timeout: 300_000 },
  async t => {
    const dir = await tempDir('loco-build');
    t.after(() => removeDir(dir));
    const disk = join(dir, 'demo.qcow2');

    const first = buildDemoDisk(disk);
    t.diagnostic(`first build: ${first.seconds.toFixed(1)} s`);
    assert.match(
      first.stdout,
      /^demo disk: .*demo\.qcow2 \(\d+ bytes\)$/m,
      'prints where the image is',
    );

    const info = JSON.parse(
      run('qemu-img', ['info', '--output=json', disk]).stdout,
    );
    assert.equal(info.format, 'qcow2');
    assert.ok(
      info['virtual-size'] >= 8 * 2 ** 20,
      `virtual size ${info['virtual-size']}`,
    );
    assert.ok(
      info['actual-size'] > 5e6 && info['actual-size'] < 20e6,
      `actual size ${info['actual-size']}`,
    );
    assert.equal(
      run('qemu-img', ['check', '-q', disk]).status,
      0,
      'qemu-img check finds no errors',
    );

    // Idempotent: a second run over the same output succeeds, from the cache.
    const second = buildDemoDisk(disk);
    t.diagnostic(`cached rebuild: ${second.seconds.toFixed(1)} s`);
    // From the cache: nothing downloaded or extracted again (the time above
    // is only a diagnostic).
    assert.doesNotMatch(second.stderr, /downloading|extracting/);
    assert.equal(
      JSON.parse(run('qemu-img', ['info', '--output=json', disk]).stdout)
        .format,
      'qcow2',
    );
  },
);

test('build.sh names the apt packages to install when tools are missing', () => {
  const result = run('/bin/bash', [BUILD_SCRIPT, '/nonexistent/demo.qcow2'], {
    PATH: '/nonexistent',
  });
  assert.notEqual(result.status, 0);
  assert.match(result.stderr, /apt-get install/);
  for (const pkg of [
    'mtools',
    'dosfstools',
    'syslinux',
    'cpio',
    'qemu-utils',
    'busybox-static',
  ]) {
    assert.match(result.stderr, new RegExp(`\\b${pkg}\\b`), `mentions ${pkg}`);
  }
});

test('build.sh refuses an output that is not a .qcow2 file', () => {
  const result = run('bash', [BUILD_SCRIPT, '/tmp/demo.img']);
  assert.notEqual(result.status, 0);
  assert.match(result.stderr, /must end in \.qcow2/);
});
