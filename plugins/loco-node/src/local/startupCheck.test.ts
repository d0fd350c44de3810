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

  const coldTcg = () =>
    new StartupCheck({
      accel: 'tcg',
      coldBoot: true,
      startedAt: 0,
      kvmTimeoutMs: 15_000,
    });
  /** One sample a second; `running` and `waiting` are shares of a core. */
  function feedStarved(
    check: StartupCheck,
    seconds: number,
    running: number,
    waiting: number,
    screen = (s: number): string =>
      s < 2 ? 'firmware' : 'kernel decompressing',
  ) {
    const steps = [];
    for (let s = 0; s <= seconds; s++) {
      steps.push(
        check.next(
          sample(s * 1000, {
            screenHash: screen(s),
            screenChanged: s >= 2,
            cpuTicks: Math.round(s * running * 100),
            runQueueWaitNs: s * waiting * 1e9,
          }),
        ),
      );
    }
    return steps;
  }

  it('does not mistake a guest the host starves of CPU for an idle one (no mid-boot snapshot)', () => {
    // Load average 20 on 2 cores: QEMU runs 10 % of the time and waits 80 %.
    const steps = feedStarved(coldTcg(), 120, 0.1, 0.8);
    expect(steps.every(s => s.kind === 'wait')).toBe(true);
  });

  it('still takes the snapshot of a guest that idles on a quiet host (the control)', () => {
    const steps = feedStarved(coldTcg(), 20, 0.1, 0);
    expect(steps.some(s => s.kind === 'booted')).toBe(true);
  });

  it('gives a boot that never settles up after a minute of CPU, not of wall time', () => {
    // 50 % of a core, the rest waiting, a spinner on screen: 60 s of CPU take 120 s.
    const steps = feedStarved(coldTcg(), 130, 0.5, 0.5, s => `spinner ${s}`);
    const booted = steps.findIndex(s => s.kind === 'booted');
    expect(booted).toBeGreaterThan(120);
    expect(steps[booted]).toEqual({ kind: 'booted', settled: false });
  });
});
