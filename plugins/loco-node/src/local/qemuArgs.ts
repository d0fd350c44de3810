/**
 * The QEMU command line of one emulator instance. The emulator image's
 * entrypoint builds the same vector (tests compare the two), so an instance
 * behaves the same on a laptop and in a cluster.
 */
export interface QemuLaunchSpec {
  environment: string;
  name: string;
  index: number;
  count: number;
  diskPath: string;
  runDir: string;
  memoryMb: number;
  vga: string;
  accel: 'tcg' | 'kvm';
  /** QEMU `-netdev` value with `id=lan0`, e.g. from {@link multicastNetdev}. */
  netdev: string;
  mac: string;
  /** Internal snapshot to resume from, when the disk holds it. */
  loadSnapshot?: string;
  extraArgs: string[];
}

export function buildQemuArgs(spec: QemuLaunchSpec): string[] {
  const identity = [
    `loco.env=${spec.environment}`,
    `loco.name=${spec.name}`,
    `loco.index=${spec.index}`,
    `loco.count=${spec.count}`,
  ];
  return [
    '-name', spec.name,
    '-machine', `pc,accel=${spec.accel}`,
    '-m', String(spec.memoryMb),
    '-smp', '1',
    '-drive', `file=${spec.diskPath},format=qcow2,if=ide,index=0,media=disk`,
    '-boot', 'c',
    '-vga', spec.vga,
    '-display', 'none',
    '-vnc', `unix:${spec.runDir}/vnc.sock`,
    '-qmp', `unix:${spec.runDir}/qmp.sock,server=on,wait=off`,
    '-netdev', spec.netdev,
    '-device', `ne2k_pci,netdev=lan0,mac=${spec.mac},romfile=`,
    '-smbios', `type=11,${identity.map(v => `value=${v}`).join(',')}`,
    '-rtc', 'base=utc',
    ...(spec.loadSnapshot ? ['-loadvm', spec.loadSnapshot] : []),
    ...spec.extraArgs,
  ];
}

/** The LAN of a local environment: one loopback multicast group/port per environment, no root needed. */
export function multicastNetdev(group: string, port: number): string {
  return `socket,id=lan0,mcast=${group}:${port},localaddr=127.0.0.1`;
}
