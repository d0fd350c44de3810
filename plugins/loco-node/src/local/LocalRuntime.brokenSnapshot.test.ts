import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mockServices } from '@backstage/backend-test-utils';
import { diskInfo } from './diskImages';
import { LocalRuntime } from './LocalRuntime';
import { parseLocalRuntimeConfig } from './localConfig';
import { readTextScreen, until } from './__testUtils__/guestScreen';

const DEMO_DISK = path.resolve(
  __dirname,
  '../../../../.cache/images/loco-demo.qcow2',
);

jest.setTimeout(300_000);

// A boot snapshot QEMU refuses to load (here: saved with 128 MB of RAM, the
// image now says 96, as after an administrator's change) must not leave the
// instance in a restart loop: the next start is a cold boot.
describe('LocalRuntime with a boot snapshot QEMU cannot load (real QEMU)', () => {
  let root: string;
  beforeAll(() => {
    if (!fs.existsSync(DEMO_DISK))
      throw new Error(
        `Demo disk missing at ${DEMO_DISK}: run scripts/prepare.sh`,
      );
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'loco-broken-snap-'));
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  const logger = mockServices.logger.mock();
  const runtime = (memoryMb: number) =>
    new LocalRuntime(
      parseLocalRuntimeConfig({
        stateDir: path.join(root, 'state'),
        images: { demo: { path: DEMO_DISK, memoryMb } },
        environments: [
          {
            name: 'rt-broken',
            instances: 1,
            image: 'demo',
            storageMode: 'persistent',
          },
        ],
      }),
      logger,
    );

  it('falls back to a cold boot, and the guest comes up', async () => {
    const first = runtime(128);
    let second: LocalRuntime | undefined;
    try {
      await first.start();
      const disk = first.localInstance('rt-broken', 0).diskPath;
      await until(
        async () =>
          (await diskInfo(disk)).snapshots.includes('loco-booted')
            ? true
            : undefined,
        200_000,
        'boot snapshot',
      );
      await first.stop();

      second = runtime(96);
      await second.start();
      const booted = await until(
        async () => {
          const { items } = await second!.listEnvironments();
          const { facts } = items[0].instances[0].health;
          return facts.bootMode === 'cold' && facts.qmpStatus === 'running'
            ? facts
            : undefined;
        },
        200_000,
        'a cold boot after the refused snapshot',
      );
      expect(booted.bootMode).toBe('cold');
      // It was QEMU that refused the snapshot, and the runtime that fell back.
      expect(logger.warn).toHaveBeenCalledWith(
        'rt-broken-0: snapshot loco-booted did not load; next start is a cold boot',
      );
      const instance = second.localInstance('rt-broken', 0);
      // The guest really boots (its banner), not a QEMU stuck at the snapshot.
      await until(
        async () =>
          (
            await readTextScreen(instance)
          ).some(row => row.includes('LEGO LOCO CLUSTER'))
            ? true
            : undefined,
        200_000,
        'the guest banner',
      );
    } finally {
      await first.stop();
      await second?.stop();
    }
  });
});
