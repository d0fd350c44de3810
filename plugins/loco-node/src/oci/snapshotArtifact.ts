import { z } from 'zod';
import { downloadBlob, readBlob, type TransferProgress } from './blobDownload';
import { uploadBlob } from './blobUpload';
import { OCI_MANIFEST, type ImageManifest } from './manifest';
import { OciError } from './ociErrors';
import type { RegistryClient } from './RegistryClient';

/**
 * A Loco snapshot as an OCI artifact (docs/snapshots.md):
 * - artifactType SNAPSHOT_ARTIFACT_TYPE;
 * - config: a small JSON (SNAPSHOT_CONFIG_TYPE) naming the RAM state and
 *   the machine it was saved on;
 * - one layer (SNAPSHOT_DISK_TYPE): a self-contained qcow2 (no backing
 *   file). Its RAM state is an internal qcow2 snapshot (QMP savevm) inside
 *   the same file, so disk and RAM travel together and QEMU resumes with
 *   `-loadvm <ramSnapshot>`, exactly as for a local boot snapshot.
 */
export const SNAPSHOT_ARTIFACT_TYPE = 'application/vnd.loco-portal.snapshot.v1';
export const SNAPSHOT_CONFIG_TYPE =
  'application/vnd.loco-portal.snapshot.config.v1+json';
export const SNAPSHOT_DISK_TYPE =
  'application/vnd.loco-portal.snapshot.disk.v1.qcow2';

export const snapshotConfigSchema = z.object({
  /** The internal qcow2 snapshot with the RAM state; null: the disk only (instances boot). */
  ramSnapshot: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,64}$/)
    .nullable(),
  /**
   * Guest RAM in MiB the state was saved with: QEMU loads a RAM state only
   * into a machine of the same size and devices. Null when unknown.
   */
  memoryMb: z.number().int().min(16).max(4096).nullable(),
});
export type SnapshotConfig = z.infer<typeof snapshotConfigSchema>;

export interface SnapshotProgress extends TransferProgress {
  /** Whole percent of the disk transferred. */
  percent: number;
}

export interface SnapshotTransferOptions {
  onProgress?: (progress: SnapshotProgress) => void;
  signal?: AbortSignal;
  /** Upload in PATCH chunks of this many bytes (push only). */
  chunkSize?: number;
}

/** Publishes `disk` (a self-contained qcow2) with `config` as `tag`; returns the manifest digest. */
export async function pushSnapshot(
  client: RegistryClient,
  tag: string,
  disk: string,
  config: SnapshotConfig,
  options: SnapshotTransferOptions = {},
): Promise<string> {
  const configBytes = Buffer.from(
    JSON.stringify(snapshotConfigSchema.parse(config)),
  );
  const configBlob = await uploadBlob(
    client,
    { data: configBytes },
    { signal: options.signal },
  );
  const diskBlob = await uploadBlob(
    client,
    { file: disk },
    {
      chunkSize: options.chunkSize,
      signal: options.signal,
      onProgress: withPercent(options.onProgress),
    },
  );
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    artifactType: SNAPSHOT_ARTIFACT_TYPE,
    config: { mediaType: SNAPSHOT_CONFIG_TYPE, ...configBlob },
    layers: [
      {
        mediaType: SNAPSHOT_DISK_TYPE,
        ...diskBlob,
        annotations: { 'org.opencontainers.image.title': 'disk.qcow2' },
      },
    ],
    annotations: {
      'org.opencontainers.image.created': new Date().toISOString(),
    },
  };
  return client.putManifest(tag, manifest, options.signal);
}

export interface PulledSnapshot {
  digest: string;
  config: SnapshotConfig;
}

/**
 * Pulls `tag` into `destination` (resuming an earlier partial download,
 * verifying the digest; see downloadBlob). The destination appears only
 * when complete and verified.
 */
export async function pullSnapshot(
  client: RegistryClient,
  tag: string,
  destination: string,
  options: SnapshotTransferOptions = {},
): Promise<PulledSnapshot> {
  const { digest, manifest } = await client.getManifest(tag, options.signal);
  const what = `${client.name}:${tag}`;
  if (
    manifest.artifactType !== SNAPSHOT_ARTIFACT_TYPE &&
    manifest.config.mediaType !== SNAPSHOT_CONFIG_TYPE
  ) {
    throw new OciError(
      `${what} is not a Loco snapshot (artifact type ${
        manifest.artifactType ?? manifest.config.mediaType
      })`,
    );
  }
  const disks = manifest.layers.filter(l => l.mediaType === SNAPSHOT_DISK_TYPE);
  if (disks.length !== 1) {
    throw new OciError(
      `${what} must hold exactly one qcow2 disk, it holds ${disks.length}`,
    );
  }
  let config: SnapshotConfig;
  try {
    const bytes = await readBlob(
      client,
      manifest.config,
      64 * 1024,
      options.signal,
    );
    config = snapshotConfigSchema.parse(JSON.parse(bytes.toString('utf8')));
  } catch (error) {
    if (error instanceof OciError) throw error;
    throw new OciError(`${what} has an unreadable snapshot config`);
  }
  await downloadBlob(client, disks[0], destination, {
    signal: options.signal,
    onProgress: withPercent(options.onProgress),
  });
  return { digest, config };
}

function withPercent(
  onProgress: SnapshotTransferOptions['onProgress'],
): ((p: TransferProgress) => void) | undefined {
  return onProgress
    ? p =>
        onProgress({
          ...p,
          percent: p.total > 0 ? Math.floor((p.done / p.total) * 100) : 100,
        })
    : undefined;
}
