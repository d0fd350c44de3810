import { BootWatch, kvmVerdict } from './bootWatch';

const options = { settleMs: 3000, idleCpuFraction: 0.3, stillMs: 20_000 };
/** One sample per second; `busy` is the CPU use over the last second (share of a core). */
function feed(
  watch: BootWatch,
  samples: Array<[screen: string, busy: number]>,
  start = 0,
) {
  let ticks = 0;
  samples.forEach(([screen, busy], i) => {
    ticks += busy * 100;
    watch.add({ at: start + i * 1000, screenHash: screen, cpuTicks: ticks });
  });
}

describe('BootWatch', () => {
  it('is not settled while the screen never changed (firmware, hung guest)', () => {
    const watch = new BootWatch(options);
    feed(
      watch,
      Array.from({ length: 30 }, () => ['bios', 0.01] as [string, number]),
    );
    expect(watch.screenChanged).toBe(false);
    expect(watch.settled()).toBe(false);
  });

  it('is not settled while a kernel boots quietly behind a still screen with a busy CPU', () => {
    const watch = new BootWatch(options);
    feed(watch, [
      ['bios', 1],
      ['loader', 1],
      ...Array.from({ length: 10 }, () => ['loader', 1] as [string, number]),
    ]);
    expect(watch.screenChanged).toBe(true);
    expect(watch.settled()).toBe(false);
  });

  it('is settled once the guest idles for settleMs, even with a clock ticking on screen', () => {
    const watch = new BootWatch(options);
    feed(watch, [
      ['bios', 1],
      ['loader', 1],
      ['t1', 1],
      ['t2', 0.03],
      ['t3', 0.03],
    ]);
    expect(watch.settled()).toBe(false);
    watch.add({ at: 5000, screenHash: 't4', cpuTicks: 309 });
    expect(watch.settled()).toBe(true);
  });

  it('is settled when a busy-waiting guest shows a still screen for stillMs', () => {
    const watch = new BootWatch(options);
    feed(watch, [
      ['bios', 1],
      ['desktop', 1],
      ...Array.from({ length: 19 }, () => ['desktop', 1] as [string, number]),
    ]);
    expect(watch.settled()).toBe(false);
    watch.add({ at: 21_000, screenHash: 'desktop', cpuTicks: 2200 });
    expect(watch.settled()).toBe(true);
  });
});

describe('BootWatch on a starved host', () => {
  it('does not take a still screen for a settled one while the guest got too little CPU to change it', () => {
    const watch = new BootWatch(options);
    // The kernel decompresses behind a still screen, running 10 % of the
    // time and waiting for a core 80 %.
    for (let s = 0; s <= 40; s++) {
      watch.add({
        at: s * 1000,
        screenHash: s === 0 ? 'bios' : 'loader',
        cpuTicks: s * 10,
        runQueueWaitNs: s * 0.8e9,
      });
      expect(watch.settled()).toBe(false);
    }
    // The control: the same still screen, with the guest on a core all along.
    const busy = new BootWatch(options);
    for (let s = 0; s <= 21; s++)
      busy.add({
        at: s * 1000,
        screenHash: s === 0 ? 'bios' : 'desktop',
        cpuTicks: s * 100,
        runQueueWaitNs: 0,
      });
    expect(busy.settled()).toBe(true);
  });
});

describe('kvmVerdict', () => {
  it('falls back at once on internal-error', () => {
    expect(
      kvmVerdict(
        {
          qmpStatus: 'internal-error',
          screenChanged: false,
          sinceStartMs: 500,
        },
        15_000,
      ),
    ).toEqual({
      fallback: 'guest hit internal-error under KVM',
    });
  });

  it('falls back when QMP says running but the screen never changes', () => {
    expect(
      kvmVerdict(
        { qmpStatus: 'running', screenChanged: false, sinceStartMs: 5000 },
        15_000,
      ),
    ).toBe('wait');
    expect(
      kvmVerdict(
        { qmpStatus: 'running', screenChanged: false, sinceStartMs: 15_000 },
        15_000,
      ),
    ).toEqual({
      fallback: 'screen did not change within 15 s under KVM',
    });
  });

  it('accepts KVM once the screen changes', () => {
    expect(
      kvmVerdict(
        { qmpStatus: 'running', screenChanged: true, sinceStartMs: 2000 },
        15_000,
      ),
    ).toBe('ok');
  });
});
