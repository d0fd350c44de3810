import {
  builtinFallbackNotice,
  snapshotPullFailedReason,
  snapshotPullFailure,
  snapshotPullingReason,
} from './snapshots';

describe('snapshotPullFailure', () => {
  const failed = snapshotPullFailedReason('401 from registry r.example');

  it("finds the failed pull that keeps an instance down, in the registry's words", () => {
    expect(snapshotPullFailure(['guest still booting', failed])).toBe(failed);
    expect(failed).toBe('pull failed: 401 from registry r.example');
  });

  it('is undefined while pulling, and for an instance that boots the built-in disk instead', () => {
    expect(snapshotPullFailure([snapshotPullingReason('games', 45)])).toBe(
      undefined,
    );
    expect(snapshotPullFailure([builtinFallbackNotice(failed)])).toBe(
      undefined,
    );
    expect(snapshotPullFailure([])).toBe(undefined);
  });
});
