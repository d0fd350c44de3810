import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { HelmProvisioner } from '../helm/HelmProvisioner';
import {
  authorizeManage,
  environmentLinks,
  helmRunOptions,
  helmWorkDir,
  LocoActionDeps,
} from './context';
import { examples } from './createEnvironment.examples';
import {
  durationMs,
  environmentOutputs,
  inputSchema,
  validateInput,
  rejectKubernetesOnlyInputs,
  checkHelmSnapshotTag,
} from './inputs';
import { LocalEnvironments } from './localEnvironments';

const input = inputSchema(
  [
    'name',
    'runtime',
    'instances',
    'storageMode',
    'snapshotTag',
    'snapshotRegistry',
    'cluster',
    'namespace',
    'owner',
    'wait',
    'timeout',
  ] as const,
  {
    instances: z =>
      z
        .number()
        .int()
        .min(1)
        .max(32)
        .default(4)
        .describe('Number of emulators (1-32)'),
  },
);

/**
 * `loco:environment:create`: N emulators joined as one LAN, either in the
 * backend's local runtime or as a Helm release of the project's chart on a
 * configured cluster. Fails cleanly: nothing half-made remains.
 */
export function createLocoEnvironmentAction(deps: LocoActionDeps) {
  const helm = deps.helm ?? new HelmProvisioner(deps.settings);
  const local = new LocalEnvironments(deps.runtimes, deps.settings);
  return createTemplateAction({
    id: 'loco:environment:create',
    description:
      'Creates a Loco environment: N emulators joined as one LAN (local runtime or Helm)',
    examples,
    supportsDryRun: true,
    schema: {
      input,
      output: {
        ...environmentOutputs,
        runtime: z => z.string().describe('local or kubernetes'),
        location: z => z.string().describe('Cluster name, or local'),
      },
    },
    async handler(ctx) {
      const args = validateInput(input, ctx.input);
      const { name, runtime, instances, storageMode, snapshotTag, wait } = args;
      const owner = args.owner ?? ctx.user?.ref ?? '';
      const timeout = args.timeout ?? deps.settings.helm.timeout;
      let location = 'local';

      if (runtime === 'kubernetes') {
        const target = helm.resolveTarget(args.cluster, args.namespace);
        checkHelmSnapshotTag(snapshotTag, deps.settings.helm.snapshotTags);
        location = target.cluster.name;
        const spec = {
          name,
          owner,
          instances,
          storageMode,
          snapshotTag: snapshotTag ?? '',
          snapshotRegistry:
            args.snapshotRegistry ?? deps.settings.helm.snapshotRegistry,
        };
        await authorizeManage(deps, ctx);
        if (ctx.isDryRun) {
          const valuesFile = await helm.writeReleaseValues(
            spec,
            helmWorkDir(ctx),
          );
          ctx.logger.info(
            `Dry run: would run helm ${helm
              .installArgs(name, target, valuesFile, { wait, timeout })
              .join(' ')} on cluster ${location}`,
          );
        } else {
          // A recovered task skips a step that already succeeded.
          await ctx.checkpoint({
            key: `loco.helm.install.${location}.${target.namespace}.${name}`,
            fn: async () => {
              await helm.install(
                spec,
                target,
                helmRunOptions(ctx, { wait, timeout }),
              );
            },
          });
        }
      } else {
        rejectKubernetesOnlyInputs(args, [
          'cluster',
          'namespace',
          'snapshotRegistry',
        ]);
        local.check({ snapshotTag });
        await authorizeManage(deps, ctx);
        if (ctx.isDryRun) {
          ctx.logger.info(
            `Dry run: would create local environment ${name} with ${instances} instances (${storageMode})`,
          );
        } else {
          await ctx.checkpoint({
            key: `loco.local.create.${name}`,
            fn: async () => {
              ctx.logger.info(
                `Creating local environment ${name} with ${instances} instances (${storageMode})`,
              );
              const created = await local.create(
                {
                  name,
                  instances,
                  storageMode,
                  snapshotTag,
                  owner: owner || undefined,
                },
                ctx.logger,
              );
              if (!wait) return;
              try {
                await local.waitHealthy(
                  name,
                  instances,
                  durationMs(timeout),
                  ctx.logger,
                  ctx.signal,
                );
              } catch (error) {
                if (!created) throw error;
                // Nothing half-made remains: an environment that never got healthy goes.
                ctx.logger.warn(
                  `Destroying ${name}: ${(error as Error).message}`,
                );
                await deps.runtimes
                  .destroyEnvironment(name)
                  .catch(() => undefined);
                throw error;
              }
            },
          });
        }
      }

      const links = environmentLinks(name);
      ctx.output('environment', name);
      ctx.output('entityRef', links.entityRef);
      ctx.output('locoUrl', links.locoUrl);
      ctx.output('runtime', runtime);
      ctx.output('location', location);
    },
  });
}
