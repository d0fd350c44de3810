import type { LocalSnapshotsConfig } from '../local/localConfig';
import { RegistryClient } from '../oci/RegistryClient';

/**
 * The tags a snapshot registry holds, as the create form shows them: the
 * list, or why it is unknown (the registry could not be reached or refused
 * the listing). Never a guessed list.
 *
 * @public
 */
export type RegistryTagList =
  | { registry: string; tags: string[] }
  | { registry: string; tags: null; problem: string };

/** A form must not wait long for a registry that does not answer. */
const DEFAULT_TIMEOUT_MS = 5000;

/**
 * Lists the tags of a snapshot registry (`loco.local.snapshots`, or
 * `loco.helm.snapshotRegistry` with its credentials) with its credentials,
 * sorted; a failure becomes the list's `problem` (the registry's own words,
 * e.g. `401 from registry HOST ...`), never an exception.
 *
 * @public
 */
export async function listRegistryTags(
  snapshots: LocalSnapshotsConfig,
  options: { timeoutMs?: number } = {},
): Promise<RegistryTagList> {
  const client = new RegistryClient(snapshots.registry, {
    credentials:
      snapshots.username && snapshots.password
        ? { username: snapshots.username, password: snapshots.password }
        : undefined,
    plainHttp: snapshots.plainHttp,
  });
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    const tags = await client.listTags(signal);
    return { registry: snapshots.registry, tags: [...tags].sort() };
  } catch (error) {
    const problem = signal.aborted
      ? `no answer within ${timeoutMs / 1000} s`
      : (error as Error).message;
    return { registry: snapshots.registry, tags: null, problem };
  }
}
