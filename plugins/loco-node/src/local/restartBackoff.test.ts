import { RestartBackoff } from './restartBackoff';

describe('RestartBackoff', () => {
  it('doubles the delay while QEMU keeps crashing, up to the maximum', () => {
    const backoff = new RestartBackoff();
    const delays = Array.from({ length: 7 }, () => backoff.next(500));
    expect(delays).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000]);
  });

  it('starts over after a run that lasted long enough to count as recovered', () => {
    const backoff = new RestartBackoff();
    backoff.next(500);
    backoff.next(500);
    expect(backoff.next(500)).toBe(4000);
    expect(backoff.next(120_000)).toBe(1000);
  });
});
