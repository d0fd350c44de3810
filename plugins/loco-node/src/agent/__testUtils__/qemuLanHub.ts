// The chart's LAN hub (chart/templates/lan-hub.yaml) as a local process: one
// QEMU with no machine, a TCP listener per instance, all on one hub.
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export class QemuLanHub {
  private constructor(private readonly child: ChildProcess) {}

  /** Starts the hub; resolves once every port accepts. */
  static async start(ports: number[]): Promise<QemuLanHub> {
    const args = ['-machine', 'none', '-nodefaults', '-display', 'none'];
    ports.forEach((port, i) =>
      args.push(
        '-netdev',
        `socket,id=port${i},listen=127.0.0.1:${port}`,
        '-netdev',
        `hubport,id=hub${i},hubid=0,netdev=port${i}`,
      ),
    );
    const child = spawn('qemu-system-x86_64', args, { stdio: 'ignore' });
    const hub = new QemuLanHub(child);
    // Probing would take a port's single peer slot: watch the listening table instead.
    for (let i = 0; i < 200; i++) {
      if (child.exitCode !== null) throw new Error('the QEMU hub exited');
      if ((await Promise.all(ports.map(listening))).every(Boolean)) return hub;
      await sleep(50);
    }
    await hub.kill();
    throw new Error('the QEMU hub did not listen');
  }

  /** Gone at once, as when its pod is deleted or its node lost. */
  async kill(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise(r => this.child.once('exit', r));
    this.child.kill('SIGKILL');
    await exited;
  }
}

/** Whether something listens on 127.0.0.1:port (binding it fails then). */
function listening(port: number): Promise<boolean> {
  return new Promise(resolve => {
    const probe = net.createServer();
    probe.once('error', () => resolve(true));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(false)));
  });
}
