import { ConflictError } from '@backstage/errors';
import { HelmError, type HelmCli } from './HelmCli';
import type { RunOptions } from './HelmProvisioner';
import type { ReleaseState } from './releaseState';
import type { ReleaseTarget } from './releaseTarget';

// How a failed change is undone: a first install that failed is uninstalled,
// a release that was there before is rolled back to its last deployed
// revision and never uninstalled. The error carries Helm's own text and what
// was done about it.

/**
 * Helm errors raised before Helm changed anything, because the release is in
 * another operation's hands: helm's errPending (pkg/action/action.go, "another
 * operation (install/upgrade/rollback) is in progress") and install's
 * availableName ("cannot re-use a name that is still in use",
 * pkg/action/install.go). Nothing of ours to undo, and an undo (uninstall,
 * rollback) would break the other operation.
 */
const CHANGED_NOTHING = [
  /another operation \(install\/upgrade\/rollback\) is in progress/,
  /cannot re-use a name that is still in use/,
];

export function uninstallArgs(
  name: string,
  target: ReleaseTarget,
  opts: Pick<RunOptions, 'wait' | 'timeout'>,
) {
  return [
    'uninstall',
    name,
    '--namespace',
    target.namespace,
    ...(opts.wait ? ['--wait'] : []),
    '--timeout',
    opts.timeout,
  ];
}

export async function changeOrRestore(
  cli: HelmCli,
  name: string,
  target: ReleaseTarget,
  before: ReleaseState,
  opts: RunOptions,
  change: () => Promise<void>,
) {
  try {
    await change();
  } catch (error) {
    if (!(error instanceof HelmError)) throw error;
    if (CHANGED_NOTHING.some(p => p.test(error.message))) {
      throw new ConflictError(
        `Helm failed: ${error.message}\nNothing was changed: another operation on ${name} is under way; try again when it has ended.`,
      );
    }
    const restored = await restore(cli, name, target, before, opts);
    throw new Error(`Helm failed: ${error.message}\n${restored}`);
  }
}

/** Puts the release back as it was; returns what was done, for the error. */
async function restore(
  cli: HelmCli,
  name: string,
  target: ReleaseTarget,
  before: ReleaseState,
  opts: RunOptions,
): Promise<string> {
  // Cleanup always waits: the task must not end while resources are half gone.
  const cleanup = { ...opts, wait: true };
  try {
    // A release that was there before is never uninstalled: at worst it
    // stays as Helm left it, and the error says so.
    if (before.exists && before.deployedRevision === null) {
      return `The release had no deployed revision to roll back to; it was left as it is and needs attention (helm history ${name} -n ${target.namespace}).`;
    }
    if (before.exists && before.deployedRevision !== null) {
      opts.logger.warn(
        `Rolling ${name} back to revision ${before.deployedRevision}`,
      );
      await cli.run(
        [
          'rollback',
          name,
          String(before.deployedRevision),
          '--namespace',
          target.namespace,
          '--wait',
          '--timeout',
          opts.timeout,
        ],
        opts.logger,
      );
      return `Rolled back to revision ${before.deployedRevision}.`;
    }
    opts.logger.warn(`Uninstalling the failed release ${name}`);
    await cli.run(uninstallArgs(name, target, cleanup), opts.logger);
    return 'The failed release was uninstalled.';
  } catch (cleanupError) {
    return `Cleanup failed too, the release needs attention: ${
      (cleanupError as Error).message
    }`;
  }
}
