import { parseLocalRuntimeConfig } from './localConfig';

describe('parseLocalRuntimeConfig', () => {
  it('fills defaults: TCG, no sound, no extra args', () => {
    const config = parseLocalRuntimeConfig({});
    expect(config).toMatchObject({
      accel: 'tcg',
      sound: 'none',
      extraArgs: [],
      memoryMb: 128,
      vga: 'std',
    });
  });

  it('takes own-disk settings per image', () => {
    const config = parseLocalRuntimeConfig({
      images: {
        win98: {
          path: '/d/win98.qcow2',
          snapshot: 'desktop',
          memoryMb: 64,
          vga: 'cirrus',
          sound: 'sb16',
          extraArgs: ['-usb'],
        },
      },
    });
    expect(config.images.win98).toEqual({
      path: '/d/win98.qcow2',
      snapshot: 'desktop',
      memoryMb: 64,
      vga: 'cirrus',
      sound: 'sb16',
      extraArgs: ['-usb'],
    });
  });

  it.each([
    ['extra args as one string', { extraArgs: '-usb -device usb-tablet' }],
    [
      'extra args that replace the supervisor’s sockets',
      { extraArgs: ['-qmp', 'tcp:0.0.0.0:4444'] },
    ],
    [
      'extra args that daemonize QEMU',
      { images: { a: { path: '/a.qcow2', extraArgs: ['-daemonize'] } } },
    ],
    ['an unknown sound card', { sound: 'gus' }],
    ['an unknown display adapter', { vga: 'qxl' }],
    [
      'a disk path with a comma (QEMU option syntax)',
      { images: { a: { path: '/a,b.qcow2' } } },
    ],
    [
      'a snapshot name with a space',
      { images: { a: { path: '/a.qcow2', snapshot: 'a b' } } },
    ],
    ['an unknown accelerator', { accel: 'hvf' }],
    [
      'hostpath without loco.local.hostPath',
      {
        images: { a: { path: '/a.qcow2' } },
        environments: [
          { name: 'e', instances: 1, image: 'a', storageMode: 'hostpath' },
        ],
      },
    ],
  ])('rejects %s', (_what, raw) => {
    expect(() => parseLocalRuntimeConfig(raw)).toThrow(/loco\.local/);
  });
});
