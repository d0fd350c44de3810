import type { LoggerService } from '@backstage/backend-plugin-api';

/** The last change queued per environment name; it settles when that change ends. */
const queues = new Map<string, Promise<void>>();

/**
 * Runs `change` once every earlier change of the same environment in this
 * backend process has ended, so a change's checks and its effect are one
 * step. Without it two creates of one name both find the name free, and the
 * loser's cleanup removes the winner's environment (on Helm: an uninstall of
 * the release the other task is installing). Names are unique across
 * runtimes, so the name alone is the key. Other backend replicas are not
 * covered: there Helm's own refusal of a second operation holds, and the
 * provisioner leaves a release it did not change alone (HelmProvisioner).
 */
export async function oneChangeAtATime<T>(
  environment: string,
  logger: LoggerService,
  change: () => Promise<T>,
): Promise<T> {
  const before = queues.get(environment);
  let done!: () => void;
  const mine = new Promise<void>(resolve => (done = resolve));
  const tail = (before ?? Promise.resolve()).then(() => mine);
  queues.set(environment, tail);
  if (before) {
    logger.info(`Waiting for another change of ${environment} to end`);
    await before;
  }
  try {
    return await change();
  } finally {
    done();
    if (queues.get(environment) === tail) queues.delete(environment);
  }
}
