import { StartupCheck, StartupSample } from './startupCheck';

const sample = (
  at: number,
  over: Partial<StartupSample> = {},
): StartupSample => ({
  at,
  qmpStatus: 'running',
  screenHash: `screen-${at}`,
  screenChanged: at > 0,
  cpuTicks: 0, // an idle guest
  ...over,
});

describe('StartupCheck', () => {
  it('is over for a snapshot start once the screen has changed', () => {
    const check = new StartupCheck({
      accel: 'tcg',
      coldBoot: false,
      startedAt: 0,
      kvmTimeoutMs: 15_000,
    });
    expect(check.watchingBoot).toBe(false);
    expect(check.next(sample(0, { screenChanged: false }))).toEqual({
      kind: 'wait',
    });
    expect(check.starting).toBe(true);
    expect(check.next(sample(1000))).toEqual({ kind: 'started' });
    expect(check.starting).toBe(false);
  });

  it('asks for the boot snapshot once a cold boot changed the screen and went idle', () => {
    const check = new StartupCheck({
      accel: 'tcg',
      coldBoot: true,
      startedAt: 0,
      kvmTimeoutMs: 15_000,
    });
    // The screen first changes at 1 s; the guest then idles for settleMs (3 s).
    const steps = [0, 1000, 2000, 3000, 4000].map(at => check.next(sample(at)));
    expect(steps.map(s => s.kind)).toEqual([
      'wait',
      'wait',
      'wait',
      'wait',
      'booted',
    ]);
    expect(steps[4]).toEqual({ kind: 'booted', settled: true });
    expect(check.starting).toBe(false);
  });

  it('gives KVM up when the guest hits internal-error, and never asks for a snapshot of it', () => {
    const check = new StartupCheck({
      accel: 'kvm',
      coldBoot: true,
      startedAt: 0,
      kvmTimeoutMs: 15_000,
    });
    expect(
      check.next(
        sample(1000, { qmpStatus: 'internal-error', screenChanged: false }),
      ),
    ).toEqual({
      kind: 'kvm-unusable',
      reason: 'guest hit internal-error under KVM',
    });
  });
});
