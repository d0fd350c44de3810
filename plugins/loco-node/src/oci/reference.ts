import { z } from 'zod';
import { InputError } from '@backstage/errors';

/**
 * Grammar of the OCI distribution spec: a repository path (lower-case
 * components separated by "/") and a tag. These are the protocol's rules;
 * the portal's own, stricter snapshot tag rule lives in plugin-loco-common.
 */
const HOST = /^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,5})?$/;
const REPOSITORY =
  /^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;

export const ociTagSchema = z.string().regex(TAG, 'an OCI tag');
export const ociDigestSchema = z
  .string()
  .regex(DIGEST, 'a sha256 digest (sha256:<64 hex digits>)');

/** Where an artifact lives: `host[:port]/repository` plus a tag or digest. */
export interface OciRepository {
  /** host[:port], as it appears in URLs and in the token scope's service. */
  host: string;
  repository: string;
}

/**
 * Reads `registry.example.com:5000/loco/snapshots` (no scheme, no tag) as
 * used by `loco.local.snapshots.registry` and the chart's `snapshot.registry`.
 */
export function parseRepository(text: string): OciRepository {
  const slash = text.indexOf('/');
  const host = slash > 0 ? text.slice(0, slash) : '';
  const repository = slash > 0 ? text.slice(slash + 1) : '';
  if (!HOST.test(host) || !REPOSITORY.test(repository)) {
    throw new InputError(
      `"${text}" is not an OCI repository: expected host[:port]/path, e.g. registry.example.com:5000/loco/snapshots (lower-case path)`,
    );
  }
  return { host, repository };
}

/** Whether `reference` (a tag or a digest) is valid in a manifest URL. */
export function checkReference(reference: string): string {
  if (!TAG.test(reference) && !DIGEST.test(reference)) {
    throw new InputError(`"${reference}" is neither an OCI tag nor a digest`);
  }
  return reference;
}

/** Loopback registries speak plain HTTP by default (like a test registry). */
export function isLoopbackHost(host: string): boolean {
  const name = host.replace(/:[0-9]+$/, '');
  return name === 'localhost' || /^127\./.test(name);
}
