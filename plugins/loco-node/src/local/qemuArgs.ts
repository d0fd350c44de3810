import { SOUND_DEVICES, type SoundCard } from '@loco-portal/plugin-loco-common';

/**
 * The QEMU command line of one emulator instance, for the local runtime and
 * for the emulator agent in a pod alike (both run the same supervisor), so an
 * instance behaves the same on a laptop and in a cluster.
 *
 * @public
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
  /**
   * Where QEMU serves VNC: `unix:<runDir>/vnc.sock` when absent (no TCP port
   * at all, the local runtime), or `HOST:DISPLAY` (TCP 5900+DISPLAY) in a pod,
   * where the viewer is another pod.
   */
  vnc?: string;
  /** QEMU `-netdev` value with `id=lan0`, e.g. from {@link multicastNetdev}; empty: no network card. */
  netdev: string;
  mac: string;
  /** Internal snapshot to resume from, when the disk holds it. */
  loadSnapshot?: string;
  /**
   * Sound card on a host-less audio backend (`none` runs in real time and needs
   * no host sound system), with the PC speaker on the same backend; the VNC
   * server can relay both. Absent or `none`: no card and a silent speaker.
   */
  sound?: SoundCard;
  /**
   * A host directory shown to the guest as a FAT drive on the primary slave
   * (QEMU vvfat): `rw` as an IDE disk (QEMU then refuses savevm/loadvm), `ro`
   * as a CD-ROM (IDE disks cannot be read-only; snapshots keep working).
   */
  sharedDir?: string;
  sharedDirMode?: 'rw' | 'ro';
  extraArgs: string[];
}

/** @public */
export function buildQemuArgs(spec: QemuLaunchSpec): string[] {
  const identity = [
    `loco.env=${spec.environment}`,
    `loco.name=${spec.name}`,
    `loco.index=${spec.index}`,
    `loco.count=${spec.count}`,
  ];
  const sound = spec.sound ? SOUND_DEVICES[spec.sound] : undefined;
  return [
    '-name',
    spec.name,
    '-machine',
    // The PC speaker plays on the same audio backend, so it is relayed too
    // (the demo guest's tones, a game's beeps).
    `pc,accel=${spec.accel}${sound ? ',pcspk-audiodev=snd0' : ''}`,
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
    `${vncListen(spec)}${sound ? ',audiodev=snd0' : ''}`,
    '-qmp',
    `unix:${spec.runDir}/qmp.sock,server=on,wait=off`,
    ...(spec.netdev
      ? [
          '-netdev',
          spec.netdev,
          '-device',
          `ne2k_pci,netdev=lan0,mac=${spec.mac},romfile=`,
        ]
      : // Without this QEMU adds its default e1000, unconnected.
        ['-nic', 'none']),
    '-smbios',
    `type=11,${identity.map(v => `value=${v}`).join(',')}`,
    '-rtc',
    'base=utc',
    ...(spec.loadSnapshot ? ['-loadvm', spec.loadSnapshot] : []),
    ...(sound
      ? ['-audiodev', 'none,id=snd0', '-device', `${sound},audiodev=snd0`]
      : []),
    ...(spec.sharedDir
      ? ['-drive', sharedDrive(spec.sharedDir, spec.sharedDirMode ?? 'rw')]
      : []),
    ...spec.extraArgs,
  ];
}

function vncListen(spec: Pick<QemuLaunchSpec, 'vnc' | 'runDir'>): string {
  return spec.vnc ?? `unix:${spec.runDir}/vnc.sock`;
}

/** Where a client reaches the VNC server that {@link buildQemuArgs} starts. */
export type VncEndpoint = { path: string } | { host: string; port: number };

export function vncEndpoint(
  spec: Pick<QemuLaunchSpec, 'vnc' | 'runDir'>,
): VncEndpoint {
  const listen = vncListen(spec);
  if (listen.startsWith('unix:')) return { path: listen.slice('unix:'.length) };
  const at = listen.lastIndexOf(':');
  const host = listen.slice(0, at).replace(/^\[|\]$/g, '');
  // A server on every address is reached on loopback.
  const loopback: Record<string, string> = {
    '': '127.0.0.1',
    '0.0.0.0': '127.0.0.1',
    '::': '::1',
  };
  return {
    host: loopback[host] ?? host,
    port: 5900 + Number(listen.slice(at + 1)),
  };
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
