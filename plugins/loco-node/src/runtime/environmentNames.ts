import { ConflictError } from '@backstage/errors';

/**
 * An environment's name is its catalog entity name (resource:default/<name>),
 * so it is unique across runtimes and clusters: a create refuses a name in use
 * unless it is the very same environment (a re-run of the same step).
 *
 * @public
 */
export function nameTakenError(name: string) {
  return new ConflictError(`A Loco environment named ${name} already exists`);
}
