import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mockServices } from '@backstage/backend-test-utils';
import { diskInfo } from './diskImages';
import { LocalRuntime } from './LocalRuntime';
import { parseLocalRuntimeConfig } from './localConfig';
import { readCmdline } from './procStat';
import {
  echoInGuest,
  readTextScreen,
  until,
} from './__testUtils__/guestScreen';

const DEMO_DISK = path.resolve(
  __dirname,
  '../../../../.cache/images/loco-demo.qcow2',
);

jest.setTimeout(240_000);

describe('LocalRuntime storage modes (real QEMU)', () => {
  let root: string;

  beforeAll(() => {
    if (!fs.existsSync(DEMO_DISK))
      throw new Error(
        `Demo disk missing at ${DEMO_DISK}: run scripts/prepare.sh`,
      );
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'loco-storage-test-'));
  });

  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  const config = (environments: object[]) =>
    parseLocalRuntimeConfig({
      stateDir: path.join(root, 'state'),
      hostPath: path.join(root, 'host'),
      images: { demo: { path: DEMO_DISK } },
      environments,
    });

  it('persistent: the instance overlay, with the state saved in it, survives a backend restart', async () => {
    const first = new LocalRuntime(
      config([
        {
          name: 'rt-persist',
          instances: 1,
          image: 'demo',
          storageMode: 'persistent',
        },
      ]),
      mockServices.logger.mock(),
    );
    let second: LocalRuntime | undefined;
    try {
      await first.start();
      const instance = first.localInstance('rt-persist', 0);
      const disk = instance.diskPath;
      expect(disk).toBe(
        path.join(
          root,
          'state',
          'environments',
          'rt-persist',
          '0',
          'disk.qcow2',
        ),
      );
      await until(
        async () =>
          (await diskInfo(disk)).snapshots.includes('loco-booted')
            ? true
            : undefined,
        150_000,
        'boot snapshot',
      );

      // A marker that exists only in guest RAM, then in the overlay's saved state.
      await echoInGuest(instance, 'rtmark7');
      await first.runAction('rt-persist', 0, 'save');
      const inode = fs.statSync(disk).ino;
      await first.stop();
      expect(fs.existsSync(disk)).toBe(true);

      second = new LocalRuntime(
        config([
          {
            name: 'rt-persist',
            instances: 1,
            image: 'demo',
            storageMode: 'persistent',
          },
        ]),
        mockServices.logger.mock(),
      );
      await second.start();
      const again = second.localInstance('rt-persist', 0);
      expect(again.diskPath).toBe(disk);
      expect(fs.statSync(disk).ino).toBe(inode);
      const e = await until(
        async () => {
          const { items } = await second!.listEnvironments();
          return items[0].instances[0].health.facts.qmpStatus === 'running'
            ? items[0]
            : undefined;
        },
        30_000,
        'resumed',
      );
      expect(e.instances[0].health.facts.bootMode).toBe('snapshot');
      expect(await readTextScreen(again)).toContain('rtmark7');

      await second.destroyEnvironment('rt-persist');
      expect(
        fs.existsSync(path.join(root, 'state', 'environments', 'rt-persist')),
      ).toBe(false);
    } finally {
      await first.stop();
      await second?.stop();
    }
  });

  it('hostpath keeps disks under loco.local.hostPath; hybrid shares a host folder as a FAT disk', async () => {
    const runtime = new LocalRuntime(
      config([
        {
          name: 'rt-host',
          instances: 1,
          image: 'demo',
          storageMode: 'hostpath',
        },
        {
          name: 'rt-hybrid',
          instances: 1,
          image: 'demo',
          storageMode: 'hybrid',
        },
      ]),
      mockServices.logger.mock(),
      { tuning: { powerdownTimeoutMs: 500 } },
    );
    try {
      await runtime.start();
      expect(runtime.localInstance('rt-host', 0).diskPath).toBe(
        path.join(root, 'host', 'rt-host', '0', 'disk.qcow2'),
      );
      const hybrid = runtime.localInstance('rt-hybrid', 0);
      const shared = path.join(
        root,
        'state',
        'environments',
        'rt-hybrid',
        'shared',
      );
      expect(fs.statSync(shared).isDirectory()).toBe(true);
      const argv = await until(
        async () =>
          (hybrid.pid ? readCmdline(hybrid.pid) : undefined) ?? undefined,
        10_000,
        'qemu running',
      );
      expect(argv).toContain(`file=fat:rw:${shared},format=raw,if=ide,index=1`);
      // QEMU refuses RAM snapshots with a read-write vvfat disk attached: saying so beats failing later.
      await expect(runtime.runAction('rt-hybrid', 0, 'save')).rejects.toThrow(
        /hybrid/,
      );
    } finally {
      await runtime.stop();
    }
    expect(
      fs.existsSync(path.join(root, 'host', 'rt-host', '0', 'disk.qcow2')),
    ).toBe(true);
  });
});
