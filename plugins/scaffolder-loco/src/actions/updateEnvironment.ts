import { InputError } from '@backstage/errors';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { HelmProvisioner } from '../helm/HelmProvisioner';
import {
  authorizeManage,
  environmentLinks,
  helmRunOptions,
  LocoActionDeps,
} from './context';
import { examples } from './updateEnvironment.examples';
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
    'snapshotTag',
    'cluster',
    'namespace',
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
        .optional()
        .describe('New number of emulators (1-32)'),
  },
);

/**
 * `loco:environment:update`: scales an environment or moves it to another
 * snapshot tag. Helm: `helm upgrade --reuse-values` with only the changed
 * values, rolled back on failure. Local: LocoRuntimes.updateEnvironment.
 */
export function updateLocoEnvironmentAction(deps: LocoActionDeps) {
  const helm = deps.helm ?? new HelmProvisioner(deps.settings);
  const local = new LocalEnvironments(deps.runtimes, deps.settings);
  return createTemplateAction({
    id: 'loco:environment:update',
    description: 'Scales a Loco environment or changes its snapshot tag',
    examples,
    supportsDryRun: true,
    schema: {
      input,
      output: {
        ...environmentOutputs,
      },
    },
    async handler(ctx) {
      const args = validateInput(input, ctx.input);
      const { name, runtime, instances, snapshotTag, wait } = args;
      const timeout = args.timeout ?? deps.settings.helm.timeout;
      if (instances === undefined && snapshotTag === undefined) {
        throw new InputError(
          'Nothing to change: give instances and/or snapshotTag',
        );
      }
      const change = { instances, snapshotTag };
      const what = [
        instances !== undefined ? `${instances} instances` : '',
        snapshotTag !== undefined ? `snapshot ${snapshotTag}` : '',
      ]
        .filter(Boolean)
        .join(', ');

      if (runtime === 'kubernetes') {
        const target = helm.resolveTarget(args.cluster, args.namespace);
        checkHelmSnapshotTag(snapshotTag, deps.settings.helm.snapshotTags);
        await authorizeManage(deps, ctx);
        if (ctx.isDryRun) {
          ctx.logger.info(
            `Dry run: would helm upgrade ${name} on ${target.cluster.name}/${target.namespace} to ${what}`,
          );
        } else {
          await ctx.checkpoint({
            key: `loco.helm.update.${target.cluster.name}.${
              target.namespace
            }.${name}.${instances ?? ''}.${snapshotTag ?? ''}`,
            fn: async () => {
              await helm.update(
                name,
                change,
                target,
                helmRunOptions(ctx, { wait, timeout }),
              );
            },
          });
        }
      } else {
        rejectKubernetesOnlyInputs(args, ['cluster', 'namespace']);
        local.check({ snapshotTag });
        await authorizeManage(deps, ctx);
        const env = await local.get(name);
        if (ctx.isDryRun) {
          ctx.logger.info(
            `Dry run: would change local environment ${name} to ${what}`,
          );
        } else {
          await ctx.checkpoint({
            key: `loco.local.update.${name}.${instances ?? ''}.${
              snapshotTag ?? ''
            }`,
            fn: async () => {
              ctx.logger.info(`Changing local environment ${name} to ${what}`);
              await deps.runtimes.updateEnvironment(name, change);
              if (wait) {
                await local.waitHealthy(
                  name,
                  instances ?? env.desiredInstances,
                  durationMs(timeout),
                  ctx.logger,
                  ctx.signal,
                );
              }
            },
          });
        }
      }
      const links = environmentLinks(name);
      ctx.output('environment', name);
      ctx.output('entityRef', links.entityRef);
      ctx.output('locoUrl', links.locoUrl);
    },
  });
}
