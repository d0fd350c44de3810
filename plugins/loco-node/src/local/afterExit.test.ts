import { afterExit } from './afterExit';

const crashed = { code: 1, signal: null, at: '2026-11-22T10:00:00Z' };
const base = {
  wanted: true,
  expected: false,
  resumedFrom: null,
  exit: crashed,
  uptimeMs: 3_000,
};

describe('afterExit', () => {
  it('leaves an instance nobody wants down, whatever the exit', () => {
    expect(afterExit({ ...base, wanted: false })).toBe('stay-down');
    expect(afterExit({ ...base, wanted: false, expected: true })).toBe(
      'stay-down',
    );
  });

  it('relaunches at once after the exit we caused (KVM fallback)', () => {
    expect(afterExit({ ...base, expected: true })).toBe('relaunch');
  });

  it('restarts a crashed cold boot with backoff', () => {
    expect(afterExit(base)).toBe('restart');
  });

  it('cold-boots next when a snapshot start failed at once', () => {
    expect(afterExit({ ...base, resumedFrom: 'loco-boot' })).toBe(
      'restart-cold',
    );
  });

  it('keeps the snapshot when the run was long, clean, or killed by a signal', () => {
    const fromSnapshot = { ...base, resumedFrom: 'loco-boot' };
    expect(afterExit({ ...fromSnapshot, uptimeMs: 60_000 })).toBe('restart');
    expect(afterExit({ ...fromSnapshot, exit: { ...crashed, code: 0 } })).toBe(
      'restart',
    );
    expect(
      afterExit({
        ...fromSnapshot,
        exit: { code: null, signal: 'SIGKILL', at: crashed.at },
      }),
    ).toBe('restart');
  });

  it('falls back to TCG when QEMU dies under KVM before KVM ran the guest', () => {
    expect(afterExit({ ...base, kvmUnproven: true })).toBe('fall-back-to-tcg');
    // Also when it was resuming a snapshot: KVM, not the snapshot, failed first.
    expect(
      afterExit({ ...base, kvmUnproven: true, resumedFrom: 'loco-boot' }),
    ).toBe('fall-back-to-tcg');
    // Once KVM ran the guest, a crash is a crash; a signal is someone else's doing.
    expect(afterExit({ ...base, kvmUnproven: false })).toBe('restart');
    expect(
      afterExit({
        ...base,
        kvmUnproven: true,
        exit: { code: null, signal: 'SIGKILL', at: crashed.at },
      }),
    ).toBe('restart');
  });
});
