import { z } from 'zod';
import { ociDigestSchema } from './reference';

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const OCI_EMPTY = 'application/vnd.oci.empty.v1+json';
/** What a client says it reads; a registry answers 404 to OCI manifests without it. */
export const MANIFEST_ACCEPT = [
  OCI_MANIFEST,
  OCI_INDEX,
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

const mediaType = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*$/,
  );

export const descriptorSchema = z
  .object({
    mediaType,
    digest: ociDigestSchema,
    size: z.number().int().nonnegative(),
    annotations: z.record(z.string(), z.string()).optional(),
    artifactType: mediaType.optional(),
  })
  .loose();
export type Descriptor = z.infer<typeof descriptorSchema>;

/** An OCI image manifest (1.1: `artifactType` names what an artifact is). */
export const imageManifestSchema = z
  .object({
    schemaVersion: z.literal(2),
    mediaType: z.literal(OCI_MANIFEST).optional(),
    artifactType: mediaType.optional(),
    config: descriptorSchema,
    layers: z.array(descriptorSchema),
    annotations: z.record(z.string(), z.string()).optional(),
  })
  .loose();
export type ImageManifest = z.infer<typeof imageManifestSchema>;
