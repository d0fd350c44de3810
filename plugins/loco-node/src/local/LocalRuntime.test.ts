import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mockServices } from '@backstage/backend-test-utils';
import { LocalRuntime } from './LocalRuntime';

/** Built by `scripts/prepare.sh` before the tests run. */
const DEMO_DISK = path.resolve(__dirname, '../../../../.cache/images/loco-demo.qcow2');

jest.setTimeout(120_000);

async function until<T>(probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise(r => setTimeout(r, 500));
  }
}

function qemuProcessesFor(name: string): string[] {
  const out = execFileSync('ps', ['-eo', 'args']).toString();
  return out.split('\n').filter(l => l.includes('qemu-system') && l.includes(`-name ${name}`));
}

describe('LocalRuntime (real QEMU)', () => {
  let stateDir: string;
  let runtime: LocalRuntime;

  beforeAll(() => {
    if (!fs.existsSync(DEMO_DISK)) {
      throw new Error(`Demo disk missing at ${DEMO_DISK}: run scripts/prepare.sh`);
    }
  });

  beforeEach(() => {
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'loco-runtime-test-'));
    runtime = new LocalRuntime(
      {
        enabled: true,
        qemuBinary: 'qemu-system-x86_64',
        stateDir,
        memoryMb: 128,
        vga: 'std',
        images: { demo: { path: DEMO_DISK } },
        environments: [{ name: 'unit-env', instances: 2, image: 'demo', storageMode: 'ephemeral' }],
      },
      mockServices.logger.mock(),
    );
  });

  afterEach(async () => {
    await runtime.stop();
    fs.rmSync(stateDir, { recursive: true, force: true });
  });

  it('boots every instance to a healthy, changing screen and serves VNC and screenshots', async () => {
    await runtime.start();
    const env = await until(async () => {
      const { items } = await runtime.listEnvironments();
      const e = items.find(i => i.name === 'unit-env');
      return e?.summary.healthy === 2 ? e : undefined;
    }, 90_000);
    expect(env.instances.map(i => i.name)).toEqual(['unit-env-0', 'unit-env-1']);
    expect(env.instances[0].health.facts.qmpStatus).toBe('running');

    const png = await runtime.screenshot('unit-env', 1);
    expect(png.subarray(1, 4).toString()).toBe('PNG');

    const vnc = await runtime.openVnc('unit-env', 0);
    const greeting = await new Promise<string>(resolve => vnc.once('data', d => resolve(d.toString())));
    vnc.destroy();
    expect(greeting).toMatch(/^RFB 003\.008\n/);
  });

  it('leaves no QEMU process and no ephemeral disk behind when stopped', async () => {
    await runtime.start();
    expect(qemuProcessesFor('unit-env-0')).toHaveLength(1);
    await runtime.stop();
    expect(qemuProcessesFor('unit-env-0')).toHaveLength(0);
    expect(fs.existsSync(path.join(stateDir, 'environments', 'unit-env'))).toBe(false);
  });

  it('restarts a killed emulator and reports the exit it saw', async () => {
    await runtime.start();
    const [line] = qemuProcessesFor('unit-env-1');
    expect(line).toBeDefined();
    const pid = execFileSync('pgrep', ['-f', '-n', '-- -name unit-env-1 ']).toString().trim();
    process.kill(Number(pid), 'SIGKILL');
    const restarted = await until(async () => {
      const { items } = await runtime.listEnvironments();
      const i = items[0].instances[1];
      return i.health.facts.restarts === 1 && i.health.facts.processAlive ? i : undefined;
    }, 30_000);
    expect(restarted.health.facts.lastExit?.signal).toBe('SIGKILL');
  });
});
