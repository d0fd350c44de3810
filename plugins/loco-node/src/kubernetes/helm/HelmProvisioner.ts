import { isDeepStrictEqual } from 'node:util';
import type { LoggerService } from '@backstage/backend-plugin-api';
import { NotFoundError } from '@backstage/errors';
import type { ProvisioningSettings } from '../../provisioning/provisioningConfig';
import type { EnvironmentChange } from '../../runtime/EmulatorRuntime';
import { nameTakenError } from '../../runtime/environmentNames';
import { clusterAccess } from './clusterAccess';
import { HelmCli } from './HelmCli';
import { changeOrRestore, uninstallArgs } from './releaseRestore';
import {
  readReleaseState,
  readReleaseValues,
  ReleaseState,
} from './releaseState';
import { ReleaseTarget, resolveReleaseTarget } from './releaseTarget';
import {
  ApiReleaseClaims,
  keptAfterUninstall,
  ReleaseClaims,
} from './releaseClaims';
import { liveStorage, storageUpdate } from './releaseStorage';
import {
  changeValues,
  releaseValues,
  ReleaseSpec,
  writeValuesFile,
} from './helmValues';

export type { ReleaseTarget };

export interface RunOptions {
  wait: boolean;
  timeout: string;
  /** Scratch directory for the values file and a CA file (the task workspace). */
  workDir: string;
  logger: LoggerService;
}

/** A change that passed every check; nothing has run yet. */
export interface HelmPlan {
  /** The helm command line `apply` runs (cluster flags excluded), for the log. */
  command: string[];
  /** Whether the release existed before (a create re-run of the same release). */
  existing: boolean;
  /** What `apply` does in words, when it is not (only) the command. */
  summary?: string;
  /** What the change leaves behind on purpose (a destroy's kept disks). */
  kept?: string;
  apply(): Promise<void>;
}

/**
 * Installs, changes and removes one Loco environment as a Helm release of the
 * project's chart, and leaves nothing half-made: a failed first install is
 * uninstalled, a failed upgrade is rolled back to the last deployed revision.
 * The error then carries Helm's own text.
 *
 * @public
 */
export class HelmProvisioner {
  constructor(
    private readonly settings: ProvisioningSettings,
    private readonly claims: ReleaseClaims = new ApiReleaseClaims(),
  ) {}

  /** Picks the cluster and namespace; unknown or unwatched ones are input errors. */
  resolveTarget(clusterName?: string, namespace?: string): ReleaseTarget {
    return resolveReleaseTarget(this.settings, clusterName, namespace);
  }

  /** The helm command line of a create. */
  private installArgs(
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

  /**
   * Every check a create makes before it changes anything, read-only: the
   * cluster answers, and the name is free or holds this very release (same
   * values: a re-run converges). Writes the values file into the workspace.
   * A dry run stops here; `apply` runs `helm upgrade --install`, and uninstalls
   * or rolls back when it fails.
   */
  async prepareInstall(
    spec: ReleaseSpec,
    target: ReleaseTarget,
    opts: RunOptions,
  ): Promise<HelmPlan> {
    const cli = await this.cli(target, opts.workDir);
    const before = await readReleaseState(cli, spec.name, target.namespace);
    const values = releaseValues(spec);
    const sameRelease =
      before.exists &&
      isDeepStrictEqual(
        await readReleaseValues(cli, spec.name, target.namespace),
        values,
      );
    if (before.exists && !sameRelease) {
      throw nameTakenError(spec.name);
    }
    const valuesFile = await writeValuesFile(
      opts.workDir,
      `${spec.name}-values.yaml`,
      values,
    );
    const command = this.installArgs(spec.name, target, valuesFile, opts);
    return {
      command,
      existing: sameRelease,
      apply: () =>
        changeOrRestore(cli, spec.name, target, before, opts, () =>
          cli.run(command, opts.logger),
        ),
    };
  }

  /**
   * Checks an update (the release exists), writes a values file holding only
   * the change; `apply` runs `helm upgrade --reset-then-reuse-values` (the
   * user's values of the release, the chart's current defaults: with
   * --reuse-values helm renders with the release's OLD chart values, so a
   * value a newer chart added would be missing) and rolls back on failure.
   * Storage Kubernetes cannot change in place is refused here and pinned to
   * the deployed values (see storageUpdate).
   */
  async prepareUpdate(
    name: string,
    change: EnvironmentChange,
    target: ReleaseTarget,
    opts: RunOptions,
  ): Promise<HelmPlan> {
    const cli = await this.cli(target, opts.workDir);
    const before = await this.existingRelease(cli, name, target);
    const live = liveStorage(
      await readReleaseValues(cli, name, target.namespace, true),
    );
    const valuesFile = await writeValuesFile(
      opts.workDir,
      `${name}-change.yaml`,
      { ...changeValues(change), storage: storageUpdate(name, live, change) },
    );
    const command = [
      'upgrade',
      name,
      this.settings.helm.chart,
      '--namespace',
      target.namespace,
      '--reset-then-reuse-values',
      '--values',
      valuesFile,
      ...(opts.wait ? ['--wait'] : []),
      '--timeout',
      opts.timeout,
    ];
    return {
      command,
      existing: true,
      apply: () =>
        changeOrRestore(cli, name, target, before, opts, () =>
          cli.run(command, opts.logger),
        ),
    };
  }

  /**
   * Plans a destroy; `apply` runs `helm uninstall`, then, with `deleteDisks`,
   * deletes the instances' claims, which the uninstall keeps (see
   * releaseClaims). Idempotent: without a release there is nothing to
   * uninstall and the plan says so (and still deletes claims left behind, if
   * asked to). `kept` says what stays.
   */
  async prepareUninstall(
    name: string,
    target: ReleaseTarget,
    opts: RunOptions,
    deleteDisks = false,
  ): Promise<HelmPlan> {
    const cli = await this.cli(target, opts.workDir);
    const where = `namespace ${target.namespace} on ${target.cluster.name}`;
    const deleteClaims = async () => {
      const deleted = await this.claims.delete(target, name);
      opts.logger.info(
        deleted.length > 0
          ? `Deleted the disks: ${deleted.join(', ')}`
          : `No disks of ${name} were left in ${where}`,
      );
    };
    const state = await readReleaseState(cli, name, target.namespace);
    if (!state.exists) {
      return {
        command: [],
        existing: false,
        summary: `do nothing: there is no Helm release ${name} in ${where} (destroyed already)${
          deleteDisks ? `; delete disks of ${name} left there` : ''
        }`,
        apply: async () => {
          opts.logger.info(
            `No Helm release ${name} in ${where}: nothing to uninstall`,
          );
          if (deleteDisks) await deleteClaims();
        },
      };
    }
    const live = liveStorage(
      await readReleaseValues(cli, name, target.namespace, true),
    );
    const kept = keptAfterUninstall(name, target, live, deleteDisks);
    const command = uninstallArgs(name, target, opts);
    return {
      command,
      existing: true,
      summary: `helm uninstall ${name} on ${target.cluster.name}/${
        target.namespace
      }${deleteDisks ? ' and delete its disks' : ''}`,
      kept,
      apply: async () => {
        await cli.run(command, opts.logger);
        if (deleteDisks) await deleteClaims();
        if (kept) opts.logger.info(kept);
      },
    };
  }

  private async existingRelease(
    cli: HelmCli,
    name: string,
    target: ReleaseTarget,
  ): Promise<ReleaseState> {
    const state = await readReleaseState(cli, name, target.namespace);
    if (!state.exists) {
      throw new NotFoundError(
        `No Helm release ${name} in namespace ${target.namespace} on ${target.cluster.name}`,
      );
    }
    return state;
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
