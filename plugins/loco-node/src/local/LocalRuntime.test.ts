import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mockServices } from '@backstage/backend-test-utils';
import { diskInfo } from './diskImages';
import type { InstanceSupervisor } from './InstanceSupervisor';
import { LocalRuntime } from './LocalRuntime';
import { parseLocalRuntimeConfig } from './localConfig';
import { readCmdline } from './procStat';
import {
  echoInGuest,
  readTextScreen,
  screenHashes,
  textBufferHash,
  until,
} from './__testUtils__/guestScreen';

/** Built by `scripts/prepare.sh` before the tests run. */
const DEMO_DISK = path.resolve(
  __dirname,
  '../../../../.cache/images/loco-demo.qcow2',
);
const ENV = 'rt-unit';

jest.setTimeout(240_000);

async function env(runtime: LocalRuntime, name = ENV) {
  const { items } = await runtime.listEnvironments();
  return items.find(i => i.name === name);
}

/** One ephemeral environment of two demo guests, booted once for every case below. */
/** Waits until the instance's first boot has been saved as its boot snapshot. */
const bootSnapshotSaved = (instance: InstanceSupervisor) =>
  until(
    async () =>
      (await diskInfo(instance.diskPath)).snapshots.includes('loco-booted')
        ? true
        : undefined,
    120_000,
    'boot snapshot saved',
  );

describe('LocalRuntime (real QEMU)', () => {
  let stateDir: string;
  let runtime: LocalRuntime;

  beforeAll(async () => {
    if (!fs.existsSync(DEMO_DISK)) {
      throw new Error(
        `Demo disk missing at ${DEMO_DISK}: run scripts/prepare.sh`,
      );
    }
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'loco-runtime-test-'));
    runtime = new LocalRuntime(
      parseLocalRuntimeConfig({
        stateDir,
        images: { demo: { path: DEMO_DISK } },
        environments: [
          { name: ENV, instances: 2, image: 'demo', storageMode: 'ephemeral' },
        ],
      }),
      mockServices.logger.mock(),
    );
    await runtime.start();
  });

  afterAll(async () => {
    await runtime?.stop();
    fs.rmSync(stateDir, { recursive: true, force: true });
  });

  it('boots every instance to a healthy, changing screen and serves VNC and screenshots', async () => {
    const e = await until(
      async () => {
        const found = await env(runtime);
        return found?.summary.healthy === 2 ? found : undefined;
      },
      150_000,
      'both instances healthy',
    );
    expect(e.instances.map(i => i.name)).toEqual([`${ENV}-0`, `${ENV}-1`]);
    expect(e.instances[0].health.facts.qmpStatus).toBe('running');
    expect(e.instances[0].health.facts.bootMode).toBe('cold');
    expect(e.instances[0].health.facts.accelerator).toBe('tcg');

    const png = await runtime.screenshot(ENV, 1);
    expect(png.subarray(1, 4).toString()).toBe('PNG');

    const vnc = await runtime.openVnc(ENV, 0);
    const greeting = await new Promise<string>(resolve =>
      vnc.once('data', d => resolve(d.toString())),
    );
    vnc.destroy();
    expect(greeting).toMatch(/^RFB 003\.008\n/);
  });

  it('joins both instances on one LAN: each guest pings the other', async () => {
    const sees = async (index: number, peer: string) => {
      const instance = runtime.localInstance(ENV, index);
      let rows: string[] = [];
      try {
        return await until(
          async () => {
            rows = await readTextScreen(instance);
            return rows.some(r => r.includes(`${peer} ok`)) ? rows : undefined;
          },
          120_000,
          `instance ${index} sees ${peer}`,
        );
      } catch (error) {
        throw new Error(`${String(error)}; its screen:\n${rows.join('\n')}`);
      }
    };
    const [rowsA, rowsB] = await Promise.all([
      sees(0, `${ENV}-1`),
      sees(1, `${ENV}-0`),
    ]);
    expect(rowsA.join('\n')).toContain('LAN 10.77.0.10');
    expect(rowsB.join('\n')).toContain('LAN 10.77.0.11');
  });

  it('saves a boot snapshot after the first boot, and reset returns the screen to it', async () => {
    const instance = runtime.localInstance(ENV, 0);
    await bootSnapshotSaved(instance);

    // The snapshot's own screen, frozen: load it into a paused VM. The screen is
    // compared as the guest's text buffer: a screendump also carries the VGA
    // cursor's blink phase, which made screendump hashes flaky under load.
    await instance.qmpExecute('stop');
    await instance.qmpExecute(
      'human-monitor-command',
      { 'command-line': 'loadvm loco-booted' },
      60_000,
    );
    const snapshotScreen = await textBufferHash(instance);
    const snapshotPicture = await screenHashes(instance);
    await instance.qmpExecute('cont');

    await echoInGuest(instance, 'rtreset');
    await instance.qmpExecute('stop');
    expect(await textBufferHash(instance)).not.toBe(snapshotScreen);
    const before = await screenHashes(instance);
    expect([...before].some(h => snapshotPicture.has(h))).toBe(false);

    await runtime.runAction(ENV, 0, 'reset');
    expect(await textBufferHash(instance)).toBe(snapshotScreen);
    expect((await readTextScreen(instance)).join('\n')).not.toContain(
      'rtreset',
    );
    await instance.qmpExecute('cont');
  });

  it('saves the state on request and restores it after a reset', async () => {
    const instance = runtime.localInstance(ENV, 0);
    await expect(runtime.runAction(ENV, 0, 'restore')).rejects.toThrow(
      /no saved state yet/,
    );
    await echoInGuest(instance, 'rtsaved');
    await runtime.runAction(ENV, 0, 'save');
    expect((await diskInfo(instance.diskPath)).snapshots).toContain(
      'loco-saved',
    );

    await runtime.runAction(ENV, 0, 'reset');
    expect((await readTextScreen(instance)).join('\n')).not.toContain(
      'rtsaved',
    );
    await runtime.runAction(ENV, 0, 'restore');
    expect((await readTextScreen(instance)).join('\n')).toContain('rtsaved');
  });

  it("records a user's restart as requested (not a crash) and a later reset as the last action", async () => {
    const instance = runtime.localInstance(ENV, 0);
    const pid = instance.pid!;
    await runtime.runAction(ENV, 0, 'restart');
    expect(instance.pid).not.toBe(pid);
    const restarted = instance.facts();
    expect(restarted.lastExit).toMatchObject({ requested: true });
    expect(restarted.lastAction?.action).toBe('restart');
    // The supervisor's own restarts count crashes, not requests.
    expect(restarted.restarts).toBe(0);

    await until(
      async () =>
        (await env(runtime))!.instances[0].state === 'healthy' || undefined,
      60_000,
      'healthy after the restart',
    );
    await runtime.runAction(ENV, 0, 'reset');
    const reset = instance.facts();
    expect(reset.lastAction?.action).toBe('reset');
    expect(Date.parse(reset.lastAction!.at)).toBeGreaterThanOrEqual(
      Date.parse(restarted.lastAction!.at),
    );
  });

  it('restarts a killed emulator from its snapshot: unhealthy, then healthy again', async () => {
    const instance = runtime.localInstance(ENV, 1);
    await bootSnapshotSaved(instance);
    const pid = instance.pid!;
    expect((await readCmdline(pid))?.join(' ')).toContain(`-name ${ENV}-1`);
    process.kill(pid, 'SIGKILL');

    const down = await until(
      async () => {
        const i = (await env(runtime))!.instances[1];
        return i.state === 'unhealthy' ? i : undefined;
      },
      10_000,
      'unhealthy after the kill',
      100,
    );
    expect(down.health.reasons[0]).toMatch(
      /emulator exited \(signal SIGKILL\)/,
    );

    const back = await until(
      async () => {
        const i = (await env(runtime))!.instances[1];
        return i.state === 'healthy' && i.health.facts.restarts === 1
          ? i
          : undefined;
      },
      60_000,
      'healthy again',
    );
    expect(back.health.facts.lastExit?.signal).toBe('SIGKILL');
    expect(back.health.facts.bootMode).toBe('snapshot');
    expect(instance.pid).not.toBe(pid);
  });

  it('leaves no QEMU process and no files of an ephemeral environment behind when stopped', async () => {
    const pids = [0, 1].map(i => runtime.localInstance(ENV, i).pid!);
    const runDirs = [0, 1].map(i => runtime.localInstance(ENV, i).runDir);
    expect(fs.existsSync(runDirs[0])).toBe(true);
    await runtime.stop();
    for (const pid of pids) expect(await readCmdline(pid)).toBeNull();
    for (const dir of runDirs) expect(fs.existsSync(dir)).toBe(false);
    // The run root belongs to this test's state directory alone, so it goes too.
    expect(fs.existsSync(runtime.runRoot)).toBe(false);
    expect(fs.existsSync(path.join(stateDir, 'environments', ENV))).toBe(false);
  });
});
