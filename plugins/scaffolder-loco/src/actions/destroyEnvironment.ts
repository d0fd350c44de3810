import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { HelmProvisioner } from '../helm/HelmProvisioner';
import { authorizeManage, helmRunOptions, LocoActionDeps } from './context';
import { examples } from './destroyEnvironment.examples';
import {
  inputSchema,
  rejectKubernetesOnlyInputs,
  validateInput,
} from './inputs';
import { LocalEnvironments } from './localEnvironments';

const input = inputSchema([
  'name',
  'runtime',
  'cluster',
  'namespace',
  'wait',
  'timeout',
] as const);

/**
 * `loco:environment:destroy`: stops every emulator of an environment and
 * removes it (Helm: `helm uninstall --wait`; local: LocoRuntimes).
 */
export function destroyLocoEnvironmentAction(deps: LocoActionDeps) {
  const helm = deps.helm ?? new HelmProvisioner(deps.settings);
  const local = new LocalEnvironments(deps.runtimes, deps.settings);
  return createTemplateAction({
    id: 'loco:environment:destroy',
    description: 'Destroys a Loco environment and every emulator in it',
    examples,
    supportsDryRun: true,
    schema: {
      input,
      output: {
        environment: z => z.string().describe('The destroyed environment'),
      },
    },
    async handler(ctx) {
      const args = validateInput(input, ctx.input);
      const { name, runtime, wait } = args;
      const timeout = args.timeout ?? deps.settings.helm.timeout;
      if (runtime === 'kubernetes') {
        const target = helm.resolveTarget(args.cluster, args.namespace);
        await authorizeManage(deps, ctx);
        if (ctx.isDryRun) {
          ctx.logger.info(
            `Dry run: would helm uninstall ${name} on ${target.cluster.name}/${target.namespace}`,
          );
        } else {
          await ctx.checkpoint({
            key: `loco.helm.uninstall.${target.cluster.name}.${target.namespace}.${name}`,
            fn: async () => {
              await helm.uninstall(
                name,
                target,
                helmRunOptions(ctx, { wait, timeout }),
              );
            },
          });
        }
      } else {
        rejectKubernetesOnlyInputs(args, ['cluster', 'namespace']);
        local.check({});
        await authorizeManage(deps, ctx);
        await local.get(name);
        if (ctx.isDryRun) {
          ctx.logger.info(`Dry run: would destroy local environment ${name}`);
        } else {
          await ctx.checkpoint({
            key: `loco.local.destroy.${name}`,
            fn: async () => {
              ctx.logger.info(`Destroying local environment ${name}`);
              await deps.runtimes.destroyEnvironment(name);
            },
          });
        }
      }
      ctx.output('environment', name);
    },
  });
}
