import { snapshotPullingReason } from '@loco-portal/plugin-loco-common';
import type { SnapshotProgress } from './snapshotArtifact';

/**
 * Turns a snapshot pull's progress into health reasons (`pulling games`,
 * then `pulling games 45 %`), each percent once: the emulator agent and the
 * local runtime both show pulls this way. Reports the first reason at once.
 */
export function pullProgressReasons(
  tag: string,
  report: (reason: string) => void,
): (progress: SnapshotProgress) => void {
  report(snapshotPullingReason(tag));
  let shown = -1;
  return progress => {
    if (progress.percent === shown) return;
    shown = progress.percent;
    report(snapshotPullingReason(tag, progress.percent));
  };
}
