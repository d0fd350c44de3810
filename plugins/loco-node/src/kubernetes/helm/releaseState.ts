import { HelmCli, HelmError } from './HelmCli';

/** What `helm history` says about a release before we change it. */
export type ReleaseState =
  | { exists: false }
  | { exists: true; deployedRevision: number | null };

/**
 * Reads a release's history (read-only). Only Helm's "not found" means there
 * is no release: any other failure (an unreachable cluster) is thrown, so
 * nothing is changed on a guess.
 */
export async function readReleaseState(
  cli: HelmCli,
  name: string,
  namespace: string,
): Promise<ReleaseState> {
  let stdout: string;
  try {
    stdout = await cli.query([
      'history',
      name,
      '--namespace',
      namespace,
      '--output',
      'json',
    ]);
  } catch (error) {
    if (
      error instanceof HelmError &&
      /release: not found/.test(error.message)
    ) {
      return { exists: false };
    }
    throw error;
  }
  const history = JSON.parse(stdout) as Array<{
    revision: number;
    status: string;
  }>;
  const deployed = history
    .filter(h => h.status === 'deployed')
    .map(h => h.revision)
    .sort((a, b) => b - a);
  return { exists: true, deployedRevision: deployed[0] ?? null };
}

/**
 * The user-supplied values of a release's latest revision (`helm get values`,
 * read-only); with `all`, the computed ones (chart defaults of that revision
 * merged with the user's: what is deployed).
 */
export async function readReleaseValues(
  cli: HelmCli,
  name: string,
  namespace: string,
  all = false,
): Promise<unknown> {
  const stdout = await cli.query([
    'get',
    'values',
    name,
    '--namespace',
    namespace,
    ...(all ? ['--all'] : []),
    '--output',
    'json',
  ]);
  return JSON.parse(stdout);
}
