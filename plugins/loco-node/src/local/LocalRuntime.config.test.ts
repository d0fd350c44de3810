import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mockServices } from '@backstage/backend-test-utils';
import { LocalRuntime } from './LocalRuntime';
import { parseLocalRuntimeConfig } from './localConfig';
import { readCmdline } from './procStat';
import { until } from './__testUtils__/guestScreen';

const DEMO_DISK = path.resolve(
  __dirname,
  '../../../../.cache/images/loco-demo.qcow2',
);

jest.setTimeout(180_000);

describe('LocalRuntime with your own disk settings and KVM (real QEMU)', () => {
  let root: string;
  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'loco-config-test-'));
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  it('launches memory, display adapter, sound card and extra args from the image config', async () => {
    const runtime = new LocalRuntime(
      parseLocalRuntimeConfig({
        stateDir: root,
        images: {
          win98: {
            path: DEMO_DISK,
            memoryMb: 160,
            vga: 'cirrus',
            sound: 'sb16',
            extraArgs: ['-usb'],
          },
        },
        environments: [{ name: 'rt-own', instances: 1, image: 'win98' }],
      }),
      mockServices.logger.mock(),
      { tuning: { powerdownTimeoutMs: 500 } },
    );
    try {
      await runtime.start();
      const instance = runtime.localInstance('rt-own', 0);
      const memory = await until(
        () =>
          instance.qmpExecute<{ 'base-memory': number }>(
            'query-memory-size-summary',
          ),
        20_000,
        'QMP answers',
      );
      expect(memory['base-memory']).toBe(160 * 1024 * 1024);
      const tree = await instance.qmpExecute<string>('human-monitor-command', {
        'command-line': 'info qtree',
      });
      expect(tree).toMatch(/dev: sb16/);
      // The SB16 plays into the audio backend VNC relays (QEMU's own view):
      // the card's and the PC speaker's audiodev is the VNC server's.
      const sb16 = tree.slice(tree.indexOf('dev: sb16'));
      expect(sb16.slice(0, sb16.indexOf('dev:', 5))).toMatch(
        /audiodev = "snd0"/,
      );
      const argv = (await readCmdline(instance.pid!))!;
      const after = (flag: string) =>
        argv.flatMap((a, i) => (a === flag ? [argv[i + 1]] : []));
      expect(after('-audiodev')).toEqual(['none,id=snd0']);
      expect(after('-device')).toContain('sb16,audiodev=snd0');
      expect(after('-vnc')[0]).toMatch(/,audiodev=snd0$/);
      expect(after('-machine')[0]).toMatch(/,pcspk-audiodev=snd0$/);
      expect(tree).toMatch(/dev: cirrus-vga/);
      expect(tree).toMatch(/dev: piix3-usb-uhci/);
    } finally {
      await runtime.stop();
    }
  });

  it('switches sound off for one environment while another on the same image keeps its SB16', async () => {
    const runtime = new LocalRuntime(
      parseLocalRuntimeConfig({
        stateDir: root,
        images: { win98: { path: DEMO_DISK, sound: 'sb16' } },
        environments: [
          { name: 'rt-loud', instances: 1, image: 'win98' },
          { name: 'rt-quiet', instances: 1, image: 'win98', sound: 'none' },
        ],
      }),
      mockServices.logger.mock(),
      { tuning: { powerdownTimeoutMs: 500 } },
    );
    try {
      await runtime.start();
      const argvOf = async (env: string) => {
        const instance = runtime.localInstance(env, 0);
        await until(async () => instance.pid, 20_000, `${env} spawned`);
        return (await readCmdline(instance.pid!))!;
      };
      const loud = await argvOf('rt-loud');
      const quiet = await argvOf('rt-quiet');
      expect(loud).toContain('sb16,audiodev=snd0');
      expect(loud.join(' ')).toMatch(/-vnc \S+,audiodev=snd0/);
      // No card, no audio backend, nothing for VNC to relay.
      expect(quiet).not.toContain('-audiodev');
      expect(quiet.join(' ')).not.toMatch(/sb16|audiodev/);
      // QEMU's own view of the quiet one: no sound card at all.
      const quietInstance = runtime.localInstance('rt-quiet', 0);
      const tree = await until(
        () =>
          quietInstance.qmpExecute<string>('human-monitor-command', {
            'command-line': 'info qtree',
          }),
        20_000,
        'QMP answers',
      );
      expect(tree).not.toMatch(/dev: (sb16|AC97|ES1370)/);
    } finally {
      await runtime.stop();
    }
  });

  it('refuses an image that is not a disk, naming the file', async () => {
    const bogus = path.join(root, 'not-a-disk.vmdk');
    fs.writeFileSync(bogus, 'KDMV');
    const runtime = new LocalRuntime(
      parseLocalRuntimeConfig({
        stateDir: root,
        images: { bad: { path: bogus } },
      }),
      mockServices.logger.mock(),
    );
    await expect(
      runtime.createEnvironment({
        name: 'rt-bad',
        instances: 1,
        storageMode: 'ephemeral',
        snapshotTag: 'bad',
      }),
    ).rejects.toThrow(/not-a-disk\.vmdk/);
    await expect(
      runtime.createEnvironment({
        name: 'rt-bad',
        instances: 1,
        storageMode: 'ephemeral',
        snapshotTag: 'nope',
      }),
    ).rejects.toThrow(/No local image is configured for snapshot tag "nope"/);
  });

  it('tries KVM when asked, ends healthy, and says truthfully which accelerator runs the guest', async () => {
    const logger = mockServices.logger.mock();
    const runtime = new LocalRuntime(
      parseLocalRuntimeConfig({
        stateDir: root,
        accel: 'kvm',
        images: { demo: { path: DEMO_DISK } },
        environments: [{ name: 'rt-kvm', instances: 1, image: 'demo' }],
      }),
      logger,
      { tuning: { kvmTimeoutMs: 10_000, powerdownTimeoutMs: 500 } },
    );
    try {
      await runtime.start();
      const instance = await until(
        async () => {
          const { items } = await runtime.listEnvironments();
          const i = items[0].instances[0];
          return i.state === 'healthy' ? i : undefined;
        },
        150_000,
        'healthy',
      );
      // What QEMU was really started with, read from the process itself, not
      // from the runtime's report. (KVM on nested hosts can run a guest for a
      // while and then fail, so no separate run of QEMU can predict it.)
      const pid = runtime.localInstance('rt-kvm', 0).pid!;
      const cmdline = (await readCmdline(pid))!.join(' ');
      const reallyOn = /accel=kvm/.test(cmdline) ? 'kvm' : 'tcg';
      // Without the device, QEMU cannot even start on KVM.
      expect(reallyOn === 'kvm' && !fs.existsSync('/dev/kvm')).toBe(false);
      const warned = (logger.warn as jest.Mock).mock.calls.map(c =>
        String(c[0]),
      );
      // The spec (docs/architecture.md): KVM where it runs the guest; else
      // TCG, with a warning in the log and the reason in the health.
      expect({
        accelerator: instance.health.facts.accelerator,
        toldInHealth: /KVM requested but unusable here/.test(
          instance.health.reasons.join(' '),
        ),
        warned: warned.some(w => /falling back to TCG/.test(w)),
      }).toEqual(
        reallyOn === 'kvm'
          ? { accelerator: 'kvm', toldInHealth: false, warned: false }
          : { accelerator: 'tcg', toldInHealth: true, warned: true },
      );
    } finally {
      await runtime.stop();
    }
  });

  it('scales an environment up and down and moves it to another snapshot tag in place', async () => {
    const runtime = new LocalRuntime(
      parseLocalRuntimeConfig({
        stateDir: root,
        images: { demo: { path: DEMO_DISK }, 'demo-copy': { path: DEMO_DISK } },
        environments: [
          {
            name: 'rt-scale',
            instances: 1,
            image: 'demo',
            storageMode: 'persistent',
          },
        ],
      }),
      mockServices.logger.mock(),
      { tuning: { powerdownTimeoutMs: 300 } },
    );
    const current = async () => (await runtime.listEnvironments()).items[0];
    try {
      await runtime.start();
      const first = runtime.localInstance('rt-scale', 0);
      await until(async () => first.pid, 20_000, 'first instance spawned');
      const firstPid = first.pid!;
      await runtime.updateEnvironment('rt-scale', { instances: 2 });
      expect((await current()).instances.map(i => i.name)).toEqual([
        'rt-scale-0',
        'rt-scale-1',
      ]);
      const second = runtime.localInstance('rt-scale', 1);
      await until(async () => second.pid, 20_000, 'second instance spawned');
      const pid = second.pid!;

      await runtime.updateEnvironment('rt-scale', { instances: 1 });
      expect((await current()).instances).toHaveLength(1);
      expect((await current()).desiredInstances).toBe(1);
      expect(await readCmdline(pid)).toBeNull();
      expect(fs.existsSync(second.runDir)).toBe(false);
      // Like a StatefulSet's claims, a scaled-away instance's disk stays.
      expect(fs.existsSync(second.diskPath)).toBe(true);
      // Scaling up and down left the running instance alone (issue 16 point 1).
      expect(runtime.localInstance('rt-scale', 0).pid).toBe(firstPid);
      expect(await readCmdline(firstPid)).not.toBeNull();

      const overlay = runtime.localInstance('rt-scale', 0).diskPath;
      const record = () =>
        JSON.parse(
          fs.readFileSync(
            path.join(path.dirname(overlay), 'disk.json'),
            'utf8',
          ),
        );
      expect(record().tag).toBe('demo');
      await runtime.updateEnvironment('rt-scale', { snapshotTag: 'demo-copy' });
      expect((await current()).snapshotTag).toBe('demo-copy');
      expect(record().tag).toBe('demo-copy');
      await expect(
        runtime.updateEnvironment('rt-scale', { snapshotTag: 'nope' }),
      ).rejects.toThrow(/nope/);
      await expect(
        runtime.updateEnvironment('rt-scale', { instances: 0 }),
      ).rejects.toThrow(/between 1 and 32/);
    } finally {
      await runtime.stop();
    }
  });
});
