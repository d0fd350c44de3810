import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { diskInfo } from '../local/diskImages';
import { tryPrepareDisk } from './agentDisk';
import { DEMO_DISK } from './__testUtils__/agentProcess';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loco-agent-disk-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const SNAPSHOT = {
  tag: 'win98-base',
  registry: 'registry.example/loco/snapshots',
  registryConfig: '/etc/loco/registry/config.json',
};
const never = new AbortController().signal;

/** A stand-in for the oras CLI: records its arguments, then runs `body`. */
function fakeOras(body: string): string {
  const file = path.join(dir, 'oras');
  fs.writeFileSync(
    file,
    `#!/bin/bash\nprintf '%s\\n' "$@" >"${dir}/oras-args"\n${body}\n`,
    { mode: 0o755 },
  );
  return file;
}

describe('tryPrepareDisk', () => {
  it('pulls the snapshot with oras and puts the disk in place whole', async () => {
    const disk = path.join(dir, 'volume', 'disk.qcow2');
    fs.mkdirSync(path.dirname(disk));
    const seen: string[] = [];
    const oras = fakeOras(`cp "${DEMO_DISK}" "$4/win98.qcow2"; echo done`);
    const result = await tryPrepareDisk(
      { path: disk, overlayOn: null },
      SNAPSHOT,
      what => seen.push(what),
      never,
      oras,
    );
    expect(result).toEqual({ ready: true });
    expect(seen).toEqual([
      'downloading snapshot registry.example/loco/snapshots:win98-base',
    ]);
    expect(
      fs.readFileSync(path.join(dir, 'oras-args'), 'utf8').split('\n'),
    ).toEqual([
      'pull',
      'registry.example/loco/snapshots:win98-base',
      '--output',
      expect.stringMatching(/\/volume\/\.prepare-/),
      '--registry-config',
      '/etc/loco/registry/config.json',
      '',
    ]);
    expect((await diskInfo(disk)).format).toBe('qcow2');
    expect(fs.readdirSync(path.dirname(disk)).sort()).toEqual([
      '.loco-disk-source',
      'disk.qcow2',
    ]);
  });

  it("reports a failed pull with oras's own words and leaves nothing behind", async () => {
    const disk = path.join(dir, 'disk.qcow2');
    const oras = fakeOras(
      'echo "Error: failed to resolve win98-base: not found" >&2; exit 1',
    );
    const result = await tryPrepareDisk(
      { path: disk, overlayOn: null },
      SNAPSHOT,
      () => {},
      never,
      oras,
    );
    expect(result).toEqual({
      ready: false,
      reason:
        'download of snapshot registry.example/loco/snapshots:win98-base failed: Error: failed to resolve win98-base: not found',
    });
    expect(fs.readdirSync(dir).sort()).toEqual(['oras', 'oras-args']);
  });

  it('says so when the image has no oras, or there is nothing to pull', async () => {
    const disk = path.join(dir, 'disk.qcow2');
    const missing = await tryPrepareDisk(
      { path: disk, overlayOn: null },
      SNAPSHOT,
      () => {},
      never,
      path.join(dir, 'no-oras-here'),
    );
    expect(missing).toMatchObject({
      ready: false,
      reason: expect.stringMatching(/oras is not installed in this image$/),
    });
    const nothing = await tryPrepareDisk(
      { path: disk, overlayOn: null },
      null,
      () => {},
      never,
    );
    expect(nothing).toMatchObject({
      ready: false,
      reason: expect.stringMatching(
        /^no disk at .*, and no snapshot to download/,
      ),
    });
  });

  it('without LOCO_DISK: an overlay on the built-in disk, which is never written', async () => {
    const disk = path.join(dir, 'run', 'disk.qcow2');
    const before = fs.statSync(DEMO_DISK).mtimeMs;
    const result = await tryPrepareDisk(
      { path: disk, overlayOn: DEMO_DISK },
      null,
      () => {},
      never,
    );
    expect(result).toEqual({ ready: true });
    const info = JSON.parse(
      execFileSync('qemu-img', ['info', '-U', '--output=json', disk], {
        encoding: 'utf8',
      }),
    );
    expect(info['backing-filename']).toBe(DEMO_DISK);
    expect(fs.statSync(DEMO_DISK).mtimeMs).toBe(before);
  });
});
