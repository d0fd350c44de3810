import type { ExitRecord } from '@loco-portal/plugin-loco-common';

/** What a supervisor does once QEMU has exited. */
export type AfterExit =
  /** Nobody wants it running (stopped, or being stopped). */
  | 'stay-down'
  /** We ended it on purpose to start it differently (KVM -> TCG): at once. */
  | 'relaunch'
  /** It crashed: again after the backoff. */
  | 'restart'
  /** It could not load its snapshot: again after the backoff, as a cold boot. */
  | 'restart-cold'
  /** It died under KVM before KVM was shown to run the guest: KVM is unusable here. */
  | 'fall-back-to-tcg';

/** A snapshot that fails to load makes QEMU exit within seconds. */
const SNAPSHOT_LOAD_WINDOW_MS = 15_000;

export function afterExit(o: {
  wanted: boolean;
  /** We killed it ourselves and said why (the KVM fallback). */
  expected: boolean;
  /** The snapshot this run resumed from, if it did. */
  resumedFrom: string | null;
  exit: ExitRecord;
  uptimeMs: number;
  /**
   * It ran on KVM that had not yet been shown to run the guest. Without a
   * usable /dev/kvm QEMU exits at once ("failed to initialize kvm"), before
   * any probe could tell: restarting it on KVM would fail forever.
   */
  kvmUnproven?: boolean;
}): AfterExit {
  if (!o.wanted) return 'stay-down';
  if (o.expected) return 'relaunch';
  if (o.kvmUnproven && o.exit.code !== 0 && !o.exit.signal)
    return 'fall-back-to-tcg';
  // A snapshot QEMU cannot load (other devices, other QEMU) would fail
  // forever; a signal is someone else's doing, not the snapshot's.
  const snapshotRejected =
    o.resumedFrom !== null &&
    o.exit.code !== 0 &&
    !o.exit.signal &&
    o.uptimeMs < SNAPSHOT_LOAD_WINDOW_MS;
  return snapshotRejected ? 'restart-cold' : 'restart';
}
