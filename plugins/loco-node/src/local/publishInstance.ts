import fs from 'node:fs/promises';
import path from 'node:path';
import { InputError, ServiceUnavailableError } from '@backstage/errors';
import { snapshotTagProblem } from '@loco-portal/plugin-loco-common';
import type { RegistryClient } from '../oci/RegistryClient';
import { pushSnapshot } from '../oci/snapshotArtifact';
import { captureInstance } from './captureInstance';
import type { InstanceSupervisor } from './InstanceSupervisor';

/** What publishing an instance needs besides the instance. */
export interface PublishTarget {
  /** The repository the tag goes to, with its push credentials. */
  client: RegistryClient;
  tag: string;
  /** QEMU for the twin that writes the RAM snapshot (captureInstance). */
  qemuBinary: string;
  /**
   * Where the flattened copy of the disk is made (a fresh directory in it,
   * removed afterwards): it needs room for the whole disk.
   */
  workParent: string;
}

/**
 * Publishes a running instance's current disk and RAM state as `tag`
 * (docs/snapshots.md): the local runtime and the emulator agent in pods both
 * come here, so a tag published from either resumes the same way. The RAM
 * snapshot is named after the tag, as the agent resumes from the internal
 * snapshot named like its LOCO_SNAPSHOT_TAG. Returns the manifest digest.
 * A registry failure is a ServiceUnavailableError saying `publish failed:`
 * and the registry's own reason.
 */
export async function publishInstance(
  instance: InstanceSupervisor,
  target: PublishTarget,
): Promise<string> {
  const { client, tag } = target;
  const problem = snapshotTagProblem(tag);
  if (problem) throw new InputError(problem);
  await fs.mkdir(target.workParent, { recursive: true });
  const work = await fs.mkdtemp(path.join(target.workParent, '.publish-'));
  try {
    const disk = await captureInstance(instance, target.qemuBinary, work, tag);
    try {
      return await pushSnapshot(client, tag, disk, {
        ramSnapshot: tag,
        memoryMb: instance.launchSpec.memoryMb,
      });
    } catch (error) {
      throw new ServiceUnavailableError(
        `publish failed: ${(error as Error).message}`,
      );
    }
  } finally {
    await fs.rm(work, { recursive: true, force: true });
  }
}
