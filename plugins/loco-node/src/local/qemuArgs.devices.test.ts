import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildQemuArgs, multicastNetdev } from './qemuArgs';
import { QmpClient } from './QmpClient';
import { spawnQemu, stopQemu } from './qemuProcess';

// QEMU's own view of the devices buildQemuArgs asks for: real QEMU, held
// before the guest's first instruction (-S), asked over QMP for its PCI bus.
jest.setTimeout(60_000);

const DEMO_DISK = path.resolve(
  __dirname,
  '../../../../.cache/images/loco-demo.qcow2',
);

async function pciDevicesOf(netdev: string): Promise<string> {
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'loco-devices-'));
  const qemu = spawnQemu(
    'qemu-system-i386',
    buildQemuArgs({
      environment: 'devices',
      name: 'devices-0',
      index: 0,
      count: 1,
      diskPath: DEMO_DISK,
      runDir,
      memoryMb: 64,
      vga: 'std',
      accel: 'tcg',
      netdev,
      mac: '52:54:00:aa:00:01',
      // Read-only: the shared demo disk must not be touched.
      extraArgs: ['-S', '-snapshot'],
    }),
    runDir,
  );
  let qmp: QmpClient | undefined;
  try {
    const socket = path.join(runDir, 'qmp.sock');
    for (let i = 0; i < 200 && !fs.existsSync(socket) && qemu.alive(); i++) {
      await new Promise(r => setTimeout(r, 50));
    }
    qmp = await QmpClient.connect(socket);
    return await qmp.execute<string>('human-monitor-command', {
      'command-line': 'info pci',
    });
  } finally {
    await stopQemu(qemu, qmp, 0);
    qmp?.close();
    fs.rmSync(runDir, { recursive: true, force: true });
  }
}

describe('the network card QEMU really has', () => {
  it('is the NE2000 on the environment LAN when there is one', async () => {
    const pci = await pciDevicesOf(multicastNetdev('239.77.1.9', 23999));
    expect(pci).toMatch(/Ethernet controller: PCI device 10ec:8029/); // NE2000
    expect(pci.match(/Ethernet controller/g)).toHaveLength(1);
  });

  it("is none at all when the instance has no LAN (not QEMU's default e1000)", async () => {
    const pci = await pciDevicesOf('');
    expect(pci).toMatch(/VGA controller/); // the bus was read
    expect(pci).not.toMatch(/Ethernet controller/);
  });
});
