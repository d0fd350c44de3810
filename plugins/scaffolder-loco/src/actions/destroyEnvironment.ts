import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { AUDIT_EVENTS, audited } from './audit';
import { carryOut } from './carryOut';
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
  'deleteDisks',
  'wait',
  'timeout',
] as const);

/**
 * `loco:environment:destroy`: stops every emulator of an environment and
 * removes it (Helm: `helm uninstall --wait`; local: LocoRuntimes). A dry
 * run makes every check the real run makes (see carryOut).
 *
 * @public
 */
export function destroyLocoEnvironmentAction(deps: LocoActionDeps) {
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
        kept: z =>
          z
            .string()
            .describe(
              "What was kept on purpose (the instances' disks), empty when nothing",
            ),
      },
    },
    async handler(ctx) {
      await audited(deps.auditor, ctx, AUDIT_EVENTS.destroy, async audit => {
        const args = validateInput(input, ctx.input);
        const { name, runtime, wait, deleteDisks } = args;
        let kept = '';
        const timeout = args.timeout ?? deps.settings.helm.timeout;
        audit.record({ environment: name, runtime, deleteDisks });
        if (runtime === 'kubernetes') {
          // The Kubernetes runtime plans and applies the change (Helm).
          const kubernetes = deps.runtimes.planner('kubernetes');
          const target = kubernetes.resolveTarget({
            cluster: args.cluster,
            namespace: args.namespace,
          });
          audit.record(target);
          await authorizeManage(deps, ctx);
          await carryOut(
            ctx,
            {
              environment: name,
              checkpoint: `loco.helm.uninstall.${target.cluster}.${target.namespace}.${name}`,
            },
            async () => {
              const plan = await kubernetes.planDestroy(name, {
                ...helmRunOptions(ctx, target, { wait, timeout }),
                deleteDisks,
              });
              kept = plan.kept ?? '';
              if (plan.kept) ctx.logger.info(`Keeps: ${plan.kept}`);
              return plan;
            },
          );
        } else {
          rejectKubernetesOnlyInputs(args, [
            'cluster',
            'namespace',
            'deleteDisks',
          ]);
          local.check({});
          await authorizeManage(deps, ctx);
          const step = {
            environment: name,
            checkpoint: `loco.local.destroy.${name}`,
          };
          await carryOut(ctx, step, async () => {
            // Idempotent, as on Kubernetes: nothing by that name is nothing
            // to do; another runtime's environment is not ours to touch.
            if (!(await local.find(name))) {
              return {
                description: `do nothing: there is no environment ${name} (destroyed already)`,
                apply: async () =>
                  ctx.logger.info(`No environment ${name}: nothing to destroy`),
              };
            }
            await local.get(name);
            return {
              description: `destroy local environment ${name}`,
              apply: () => deps.runtimes.destroyEnvironment(name),
            };
          });
        }
        ctx.output('environment', name);
        ctx.output('kept', kept);
      });
    },
  });
}
