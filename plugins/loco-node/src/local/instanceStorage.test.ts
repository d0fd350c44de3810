import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { diskInfo } from './diskImages';
import { EnvironmentStorage } from './instanceStorage';

describe('EnvironmentStorage.prepareDisk', () => {
  let root: string;
  let basePath: string;
  const makeBase = (sizeMb: number) =>
    execFileSync('qemu-img', [
      'create',
      '-q',
      '-f',
      'qcow2',
      basePath,
      `${sizeMb}M`,
    ]);

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'loco-disk-test-'));
    basePath = path.join(root, 'base.qcow2');
    makeBase(16);
  });

  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  const storage = () =>
    new EnvironmentStorage('env', 'persistent', {
      stateDir: path.join(root, 'state'),
    });
  const runDir = () => path.join(root, 'run');

  it('keeps a persistent overlay as long as its base image is unchanged', async () => {
    const first = await storage().prepareDisk(0, runDir(), {
      tag: 'demo',
      path: basePath,
    });
    expect((await diskInfo(first.path)).format).toBe('qcow2');
    fs.writeFileSync(`${first.path}.marker`, 'mine');
    const inode = fs.statSync(first.path).ino;

    const again = await storage().prepareDisk(0, runDir(), {
      tag: 'demo',
      path: basePath,
    });
    expect(again).toEqual({ path: first.path });
    expect(fs.statSync(again.path).ino).toBe(inode);
  });

  it('sets an overlay aside when its base image was rebuilt, instead of reading garbage through it', async () => {
    const first = await storage().prepareDisk(0, runDir(), {
      tag: 'demo',
      path: basePath,
    });
    const oldInode = fs.statSync(first.path).ino;
    fs.rmSync(basePath);
    makeBase(32); // a rebuilt demo disk: another size and mtime

    const next = await storage().prepareDisk(0, runDir(), {
      tag: 'demo',
      path: basePath,
    });
    expect(next.path).toBe(first.path);
    expect(next.replaced?.because).toMatch(
      /base image .* was rebuilt or replaced/,
    );
    expect(fs.statSync(next.replaced!.keptAs).ino).toBe(oldInode);
    expect(fs.statSync(next.path).ino).not.toBe(oldInode);
    expect((await diskInfo(next.path)).virtualSize).toBe(32 * 2 ** 20);
  });

  it('says why when the snapshot tag changed', async () => {
    await storage().prepareDisk(0, runDir(), { tag: 'demo', path: basePath });
    const next = await storage().prepareDisk(0, runDir(), {
      tag: 'other',
      path: basePath,
    });
    expect(next.replaced?.because).toBe(
      'the snapshot tag changed from demo to other',
    );
  });

  it('gives an ephemeral instance a fresh overlay inside its run directory only', async () => {
    const ephemeral = new EnvironmentStorage('env', 'ephemeral', {
      stateDir: path.join(root, 'state'),
    });
    const disk = await ephemeral.prepareDisk(0, runDir(), {
      tag: 'demo',
      path: basePath,
    });
    expect(path.dirname(disk.path)).toBe(runDir());
    expect(fs.existsSync(path.join(root, 'state'))).toBe(false);
  });
});
