import type { LoggerService } from '@backstage/backend-plugin-api';
import { InputError, NotFoundError } from '@backstage/errors';
import type {
  ClusterSettings,
  ProvisioningSettings,
} from '@loco-portal/plugin-loco-node';
import { clusterAccess } from './clusterAccess';
import { HelmCli, HelmError } from './HelmCli';
import {
  changeValues,
  releaseValues,
  ReleaseSpec,
  writeValuesFile,
} from './helmValues';

/** Where a release lives. */
export interface ReleaseTarget {
  cluster: ClusterSettings;
  namespace: string;
}

export interface RunOptions {
  wait: boolean;
  timeout: string;
  /** Scratch directory for the values file and a CA file (the task workspace). */
  workDir: string;
  logger: LoggerService;
}

/** What `helm history` says about a release before we change it. */
type ReleaseState =
  | { exists: false }
  | { exists: true; deployedRevision: number | null };

/**
 * Installs, changes and removes one Loco environment as a Helm release of the
 * project's chart, and leaves nothing half-made: a failed first install is
 * uninstalled, a failed upgrade is rolled back to the last deployed revision.
 * The error then carries Helm's own text.
 */
export class HelmProvisioner {
  constructor(private readonly settings: ProvisioningSettings) {}

  /** Picks the cluster and namespace; unknown or unwatched ones are input errors. */
  resolveTarget(clusterName?: string, namespace?: string): ReleaseTarget {
    const { clusters, helm } = this.settings;
    if (clusters.length === 0) {
      throw new InputError(
        'No Kubernetes clusters are configured (loco.kubernetes.clusters)',
      );
    }
    let cluster: ClusterSettings | undefined;
    if (clusterName) {
      cluster = clusters.find(c => c.name === clusterName);
      if (!cluster) {
        throw new InputError(
          `Unknown cluster "${clusterName}" (configured: ${clusters
            .map(c => c.name)
            .join(', ')})`,
        );
      }
    } else if (clusters.length === 1) {
      cluster = clusters[0];
    } else {
      throw new InputError(
        `Choose a cluster: ${clusters.map(c => c.name).join(', ')}`,
      );
    }
    const ns = namespace ?? cluster.namespaces[0] ?? helm.defaultNamespace;
    // Discovery only watches the listed namespaces: a release elsewhere would be invisible.
    if (cluster.namespaces.length > 0 && !cluster.namespaces.includes(ns)) {
      throw new InputError(
        `Namespace "${ns}" is not watched on cluster ${
          cluster.name
        } (watched: ${cluster.namespaces.join(', ')})`,
      );
    }
    return { cluster, namespace: ns };
  }

  /** The helm command lines a create would run (for dry runs and the log). */
  installArgs(
    name: string,
    target: ReleaseTarget,
    valuesFile: string,
    opts: Pick<RunOptions, 'wait' | 'timeout'>,
  ) {
    return [
      'upgrade',
      '--install',
      name,
      this.settings.helm.chart,
      '--namespace',
      target.namespace,
      '--create-namespace',
      '--values',
      valuesFile,
      ...(opts.wait ? ['--wait'] : []),
      '--timeout',
      opts.timeout,
    ];
  }

  async writeReleaseValues(spec: ReleaseSpec, workDir: string) {
    return writeValuesFile(
      workDir,
      `${spec.name}-values.yaml`,
      releaseValues(spec),
    );
  }

  /** `helm upgrade --install`; rolls back or uninstalls when it fails. */
  async install(spec: ReleaseSpec, target: ReleaseTarget, opts: RunOptions) {
    const cli = await this.cli(target, opts.workDir);
    const before = await this.releaseState(cli, spec.name, target.namespace);
    const valuesFile = await this.writeReleaseValues(spec, opts.workDir);
    await this.changeOrRestore(cli, spec.name, target, before, opts, () =>
      cli.run(
        this.installArgs(spec.name, target, valuesFile, opts),
        opts.logger,
      ),
    );
  }

  /** `helm upgrade --reuse-values` with only the changed values; rolls back on failure. */
  async update(
    name: string,
    change: { instances?: number; snapshotTag?: string },
    target: ReleaseTarget,
    opts: RunOptions,
  ) {
    const cli = await this.cli(target, opts.workDir);
    const before = await this.releaseState(cli, name, target.namespace);
    if (!before.exists) {
      throw new NotFoundError(
        `No Helm release ${name} in namespace ${target.namespace} on ${target.cluster.name}`,
      );
    }
    const valuesFile = await writeValuesFile(
      opts.workDir,
      `${name}-change.yaml`,
      changeValues(change),
    );
    await this.changeOrRestore(cli, name, target, before, opts, () =>
      cli.run(
        [
          'upgrade',
          name,
          this.settings.helm.chart,
          '--namespace',
          target.namespace,
          '--reuse-values',
          '--values',
          valuesFile,
          ...(opts.wait ? ['--wait'] : []),
          '--timeout',
          opts.timeout,
        ],
        opts.logger,
      ),
    );
  }

  /** `helm uninstall --wait`. */
  async uninstall(name: string, target: ReleaseTarget, opts: RunOptions) {
    const cli = await this.cli(target, opts.workDir);
    const before = await this.releaseState(cli, name, target.namespace);
    if (!before.exists) {
      throw new NotFoundError(
        `No Helm release ${name} in namespace ${target.namespace} on ${target.cluster.name}`,
      );
    }
    await cli.run(this.uninstallArgs(name, target, opts), opts.logger);
  }

  private uninstallArgs(
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

  private async changeOrRestore(
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
      const restored = await this.restore(cli, name, target, before, opts);
      throw new Error(`Helm failed: ${error.message}\n${restored}`);
    }
  }

  /** Puts the release back as it was; returns what was done, for the error. */
  private async restore(
    cli: HelmCli,
    name: string,
    target: ReleaseTarget,
    before: ReleaseState,
    opts: RunOptions,
  ): Promise<string> {
    // Cleanup always waits: the task must not end while resources are half gone.
    const cleanup = { ...opts, wait: true };
    try {
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
      await cli.run(this.uninstallArgs(name, target, cleanup), opts.logger);
      return 'The failed release was uninstalled.';
    } catch (cleanupError) {
      return `Cleanup failed too, the release needs attention: ${
        (cleanupError as Error).message
      }`;
    }
  }

  private async releaseState(
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
      // Only "not found" means a first install; an unreachable cluster must fail.
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

  private async cli(target: ReleaseTarget, workDir: string) {
    const access = await clusterAccess(target.cluster, workDir);
    return new HelmCli({
      binary: this.settings.helm.binary,
      clusterArgs: access.args,
      env: access.env,
    });
  }
}
