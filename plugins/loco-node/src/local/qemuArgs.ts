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
  /**
   * Sound card on a host-less audio backend (`none` runs in real time and needs
   * no host sound system); the VNC server can relay it. Absent or `none`: no card.
   */
  sound?: 'none' | 'sb16' | 'ac97' | 'es1370';
  /**
   * A host directory shown to the guest as a FAT drive on the primary slave
   * (QEMU vvfat): `rw` as an IDE disk (QEMU then refuses savevm/loadvm), `ro`
   * as a CD-ROM (IDE disks cannot be read-only; snapshots keep working).
   */
  sharedDir?: string;
  sharedDirMode?: 'rw' | 'ro';
  extraArgs: string[];
}

const SOUND_DEVICES = { sb16: 'sb16', ac97: 'AC97', es1370: 'ES1370' } as const;

export function buildQemuArgs(spec: QemuLaunchSpec): string[] {
  const identity = [
    `loco.env=${spec.environment}`,
    `loco.name=${spec.name}`,
    `loco.index=${spec.index}`,
    `loco.count=${spec.count}`,
  ];
  const sound =
    spec.sound && spec.sound !== 'none' ? SOUND_DEVICES[spec.sound] : undefined;
  return [
    '-name',
    spec.name,
    '-machine',
    `pc,accel=${spec.accel}`,
    '-m',
    String(spec.memoryMb),
    '-smp',
    '1',
    '-drive',
    `file=${spec.diskPath},format=qcow2,if=ide,index=0,media=disk`,
    '-boot',
    'c',
    '-vga',
    spec.vga,
    '-display',
    'none',
    '-vnc',
    `unix:${spec.runDir}/vnc.sock${sound ? ',audiodev=snd0' : ''}`,
    '-qmp',
    `unix:${spec.runDir}/qmp.sock,server=on,wait=off`,
    '-netdev',
    spec.netdev,
    '-device',
    `ne2k_pci,netdev=lan0,mac=${spec.mac},romfile=`,
    '-smbios',
    `type=11,${identity.map(v => `value=${v}`).join(',')}`,
    '-rtc',
    'base=utc',
    ...(spec.loadSnapshot ? ['-loadvm', spec.loadSnapshot] : []),
    // Sound and the shared folder come after -loadvm, exactly where the emulator
    // image's entrypoint puts them (its test compares the two vectors).
    ...(sound
      ? ['-audiodev', 'none,id=snd0', '-device', `${sound},audiodev=snd0`]
      : []),
    ...(spec.sharedDir
      ? ['-drive', sharedDrive(spec.sharedDir, spec.sharedDirMode ?? 'rw')]
      : []),
    ...spec.extraArgs,
  ];
}

function sharedDrive(dir: string, mode: 'rw' | 'ro'): string {
  return mode === 'rw'
    ? `file=fat:rw:${dir},format=raw,if=ide,index=1`
    : `file=fat:${dir},format=raw,if=ide,index=1,media=cdrom`;
}

/** The LAN of a local environment: one loopback multicast group/port per environment, no root needed. */
export function multicastNetdev(group: string, port: number): string {
  return `socket,id=lan0,mcast=${group}:${port},localaddr=127.0.0.1`;
}
