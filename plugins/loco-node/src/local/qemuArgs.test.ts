import { buildQemuArgs, multicastNetdev } from './qemuArgs';

const spec = {
  environment: 'loco-demo',
  name: 'loco-demo-2',
  index: 2,
  count: 4,
  diskPath: '/state/disk.qcow2',
  runDir: '/run/loco-demo-2',
  memoryMb: 128,
  vga: 'std',
  accel: 'tcg' as const,
  netdev: multicastNetdev('239.77.1.2', 23456),
  mac: '52:54:00:aa:00:02',
  extraArgs: [],
};

describe('buildQemuArgs', () => {
  it('keeps VNC and QMP on unix sockets, off the network', () => {
    const args = buildQemuArgs(spec);
    expect(args[args.indexOf('-vnc') + 1]).toBe(
      'unix:/run/loco-demo-2/vnc.sock',
    );
    expect(args[args.indexOf('-qmp') + 1]).toBe(
      'unix:/run/loco-demo-2/qmp.sock,server=on,wait=off',
    );
    expect(args.join(' ')).not.toMatch(/tcp:|websocket/);
  });

  it('joins the environment LAN with an NE2000 NIC and a unique MAC', () => {
    const args = buildQemuArgs(spec);
    expect(args[args.indexOf('-netdev') + 1]).toBe(
      'socket,id=lan0,mcast=239.77.1.2:23456,localaddr=127.0.0.1',
    );
    expect(args[args.indexOf('-device') + 1]).toBe(
      'ne2k_pci,netdev=lan0,mac=52:54:00:aa:00:02,romfile=',
    );
  });

  it('tells the guest who it is through SMBIOS OEM strings', () => {
    const args = buildQemuArgs(spec);
    expect(args[args.indexOf('-smbios') + 1]).toBe(
      'type=11,value=loco.env=loco-demo,value=loco.name=loco-demo-2,value=loco.index=2,value=loco.count=4',
    );
  });

  it('resumes from a snapshot only when asked', () => {
    expect(buildQemuArgs(spec)).not.toContain('-loadvm');
    const args = buildQemuArgs({ ...spec, loadSnapshot: 'loco-booted' });
    expect(
      args.slice(args.indexOf('-loadvm'), args.indexOf('-loadvm') + 2),
    ).toEqual(['-loadvm', 'loco-booted']);
  });
});

describe('buildQemuArgs: own-disk options', () => {
  it('adds a sound card on the host-less audio backend and relays it over VNC', () => {
    const args = buildQemuArgs({ ...spec, sound: 'sb16', extraArgs: ['-usb'] });
    expect(args[args.indexOf('-vnc') + 1]).toBe(
      'unix:/run/loco-demo-2/vnc.sock,audiodev=snd0',
    );
    expect(args[args.indexOf('-machine') + 1]).toBe(
      'pc,accel=tcg,pcspk-audiodev=snd0',
    );
    expect(args.slice(-5)).toEqual([
      '-audiodev',
      'none,id=snd0',
      '-device',
      'sb16,audiodev=snd0',
      '-usb',
    ]);
  });

  it('adds nothing for sound none', () => {
    expect(buildQemuArgs({ ...spec, sound: 'none' })).toEqual(
      buildQemuArgs(spec),
    );
  });

  it('shows a shared folder as a read-write FAT disk, or read-only as a CD-ROM', () => {
    const rw = buildQemuArgs({ ...spec, sharedDir: '/state/shared' });
    expect(rw.slice(-2)).toEqual([
      '-drive',
      'file=fat:rw:/state/shared,format=raw,if=ide,index=1',
    ]);
    const ro = buildQemuArgs({
      ...spec,
      sharedDir: '/state/shared',
      sharedDirMode: 'ro',
    });
    expect(ro.slice(-2)).toEqual([
      '-drive',
      'file=fat:/state/shared,format=raw,if=ide,index=1,media=cdrom',
    ]);
  });
});
