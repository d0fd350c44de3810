import { lanEndpoint } from '../local/lanAddress';
import { readAgentConfig } from './agentConfig';

describe('readAgentConfig', () => {
  it("gives the local runtime's LAN, MAC and disk rules by default", () => {
    const c = readAgentConfig({
      LOCO_ENV: 'lab',
      LOCO_INSTANCE_INDEX: '2',
      LOCO_INSTANCE_COUNT: '4',
    });
    const lan = lanEndpoint('lab');
    expect(c).toMatchObject({
      name: 'lab-2',
      netdev: `socket,id=lan0,mcast=${lan.group}:${lan.port},localaddr=127.0.0.1`,
      disk: {
        path: '/run/loco/disk.qcow2',
        overlayOn: '/opt/loco/disk/base.qcow2',
      },
      accel: 'tcg',
      listen: '0.0.0.0:8080',
      saveOnStop: false,
      stopTimeoutMs: 20_000,
    });
    expect(c.mac).toMatch(/^52:54:00:[0-9a-f]{2}:00:02$/);
  });

  it('reads what the chart sets: no NIC for an empty LOCO_NETDEV, extra arguments one per line', () => {
    const c = readAgentConfig({
      LOCO_ENV: 'lab',
      LOCO_NETDEV: '',
      LOCO_DISK: '/var/lib/loco/disk.qcow2',
      LOCO_SNAPSHOT_TAG: 'win98-base',
      LOCO_SNAPSHOT_REGISTRY: 'ghcr.io/org/snapshots',
      LOCO_EXTRA_ARGS: '-rtc\nbase=localtime',
      LOCO_SAVE_ON_STOP: 'true',
      LOCO_STOP_TIMEOUT: '18',
    });
    expect(c).toMatchObject({
      netdev: '',
      disk: { path: '/var/lib/loco/disk.qcow2', overlayOn: null },
      snapshot: {
        tag: 'win98-base',
        registry: 'ghcr.io/org/snapshots',
        // the seeds' default: boot what is there, else the image's own disk
        fallback: 'builtin',
        builtinDisk: '/opt/loco/disk/base.qcow2',
      },
      extraArgs: ['-rtc', 'base=localtime'],
      saveOnStop: true,
      stopTimeoutMs: 18_000,
    });
  });

  it.each([
    [{}, /LOCO_ENV/],
    [
      { LOCO_ENV: 'lab', LOCO_INSTANCE_INDEX: '4', LOCO_INSTANCE_COUNT: '4' },
      /must be below LOCO_INSTANCE_COUNT/,
    ],
    [{ LOCO_ENV: 'lab', LOCO_INSTANCE_INDEX: '010' }, /LOCO_INSTANCE_INDEX/],
    [{ LOCO_ENV: 'lab', LOCO_DISK: '/a,b.qcow2' }, /LOCO_DISK/],
    [
      { LOCO_ENV: 'lab', LOCO_EXTRA_ARGS: '-qmp\nstdio' },
      /LOCO_EXTRA_ARGS.*-qmp/s,
    ],
    [{ LOCO_ENV: 'lab', LOCO_NETDEV: 'socket,mcast=1.2.3.4:5' }, /LOCO_NETDEV/],
    [{ LOCO_ENV: 'lab', LOCO_ACCEL: 'hvf' }, /LOCO_ACCEL/],
    [
      { LOCO_ENV: 'lab', LOCO_SNAPSHOT_FALLBACK: 'retry' },
      /LOCO_SNAPSHOT_FALLBACK/,
    ],
    [
      { LOCO_ENV: 'lab', LOCO_SNAPSHOT_REGISTRY: 'https://ghcr.io/org/x' },
      /LOCO_SNAPSHOT_REGISTRY/,
    ],
  ])('refuses %j', (env, message) => {
    expect(() => readAgentConfig(env)).toThrow(message);
  });
});
