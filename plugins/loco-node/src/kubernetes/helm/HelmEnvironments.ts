import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { LoggerService } from '@backstage/backend-plugin-api';
import type {
  EnvironmentChange,
  EnvironmentSpec,
  ProvisionOptions,
  ProvisionPlan,
  ProvisionPlanner,
} from '../../runtime/EmulatorRuntime';
import type { ProvisioningSettings } from '../../provisioning/provisioningConfig';
import { HelmPlan, HelmProvisioner, RunOptions } from './HelmProvisioner';
import type { ReleaseTarget } from './releaseTarget';

/** Where discovery saw an environment's release. */
export interface ReleaseLocation {
  cluster: string;
  namespace: string;
  /** The Helm release (the chart's `app.kubernetes.io/instance` label). */
  release: string;
}

/**
 * The Kubernetes runtime's create, update and destroy: one Helm release of
 * the project's chart per environment (release name = environment name),
 * through {@link HelmProvisioner}. Every change is planned first (every check,
 * nothing changed), so a dry run and the real run take the same path.
 */
export class HelmEnvironments implements ProvisionPlanner {
  private readonly helm: HelmProvisioner;

  constructor(
    private readonly settings: ProvisioningSettings,
    private readonly logger: LoggerService,
    /** Where discovery sees an environment now, if anywhere. */
    private readonly locate: (name: string) => ReleaseLocation | undefined,
  ) {
    this.helm = new HelmProvisioner(settings);
  }

  resolveTarget(options: ProvisionOptions = {}) {
    return describe(this.target(options));
  }

  async planCreate(
    spec: EnvironmentSpec,
    options: ProvisionOptions = {},
  ): Promise<ProvisionPlan> {
    const target = this.target(options);
    return this.plan(options, target, async run => {
      const plan = await this.helm.prepareInstall(
        {
          name: spec.name,
          owner: spec.owner ?? '',
          instances: spec.instances,
          storageMode: spec.storageMode,
          snapshotTag: spec.snapshotTag ?? '',
          snapshotRegistry:
            spec.snapshotRegistry ?? this.settings.helm.snapshotRegistry,
          snapshotRegistrySecrets: this.settings.helm.snapshotRegistrySecrets,
          snapshotFallback: spec.snapshotFallback,
        },
        target,
        run,
      );
      return {
        plan,
        description: `run helm ${plan.command.join(' ')} on cluster ${
          target.cluster.name
        }`,
      };
    });
  }

  async planUpdate(
    name: string,
    change: EnvironmentChange,
    options: ProvisionOptions = {},
  ): Promise<ProvisionPlan> {
    const { target, release } = this.existing(name, options);
    const what = [
      change.instances !== undefined ? `${change.instances} instances` : '',
      change.snapshotTag !== undefined ? `snapshot ${change.snapshotTag}` : '',
      change.snapshotFallback !== undefined
        ? `fallback ${change.snapshotFallback}`
        : '',
      change.storageSize !== undefined ? `disks of ${change.storageSize}` : '',
    ]
      .filter(Boolean)
      .join(', ');
    return this.plan(options, target, async run => ({
      plan: await this.helm.prepareUpdate(release, change, target, run),
      description: `helm upgrade ${release} on ${where(target)} to ${what}`,
    }));
  }

  async planDestroy(
    name: string,
    options: ProvisionOptions = {},
  ): Promise<ProvisionPlan> {
    const { target, release } = this.existing(name, options);
    return this.plan(options, target, async run => {
      const plan = await this.helm.prepareUninstall(
        release,
        target,
        run,
        options.deleteDisks ?? false,
      );
      return {
        plan,
        description:
          plan.summary ?? `helm uninstall ${release} on ${where(target)}`,
      };
    });
  }

  private target(options: ProvisionOptions): ReleaseTarget {
    return this.helm.resolveTarget(options.cluster, options.namespace);
  }

  /** Where an environment is: as asked, else where discovery sees it, else the defaults. */
  private existing(
    name: string,
    options: ProvisionOptions,
  ): { target: ReleaseTarget; release: string } {
    const seen =
      options.cluster || options.namespace ? undefined : this.locate(name);
    if (seen) {
      return {
        target: this.helm.resolveTarget(seen.cluster, seen.namespace),
        release: seen.release,
      };
    }
    return { target: this.target(options), release: name };
  }

  /**
   * Runs `prepare` with the options' run settings. Without a work directory a
   * temporary one is made, removed once the plan is applied or fails.
   */
  private async plan(
    options: ProvisionOptions,
    target: ReleaseTarget,
    prepare: (
      run: RunOptions,
    ) => Promise<{ plan: HelmPlan; description: string }>,
  ): Promise<ProvisionPlan> {
    const scratch = options.workDir
      ? undefined
      : await mkdtemp(path.join(os.tmpdir(), 'loco-helm-'));
    const cleanup = () =>
      scratch ? rm(scratch, { recursive: true, force: true }) : undefined;
    const run: RunOptions = {
      wait: options.wait ?? true,
      timeout: options.timeout ?? this.settings.helm.timeout,
      workDir: options.workDir ?? scratch!,
      logger: options.logger ?? this.logger,
    };
    let prepared;
    try {
      prepared = await prepare(run);
    } catch (error) {
      await cleanup();
      throw error;
    }
    const { plan, description } = prepared;
    return {
      description,
      existing: plan.existing,
      target: describe(target),
      kept: plan.kept,
      apply: async () => {
        try {
          await plan.apply();
        } finally {
          await cleanup();
        }
      },
    };
  }
}

function describe(target: ReleaseTarget) {
  return { cluster: target.cluster.name, namespace: target.namespace };
}

function where(target: ReleaseTarget): string {
  return `${target.cluster.name}/${target.namespace}`;
}
