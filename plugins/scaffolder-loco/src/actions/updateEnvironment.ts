import { InputError } from '@backstage/errors';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { AUDIT_EVENTS, audited } from './audit';
import { carryOut } from './carryOut';
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
    'snapshotFallback',
    'storageSize',
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
 * `loco:environment:update`: scales an environment, moves it to another
 * snapshot tag (with the policy for a failed pull, snapshotFallback, as on
 * create) or (Kubernetes, disks without claims) changes its disk size.
 * Helm: `helm upgrade --reset-then-reuse-values` with only the changed
 * values, rolled back on failure (never uninstalled); a change Kubernetes
 * cannot make to existing claims is refused before Helm runs. Local:
 * LocoRuntimes.updateEnvironment.
 * A dry run makes every check the real run makes (see carryOut).
 *
 * @public
 */
export function updateLocoEnvironmentAction(deps: LocoActionDeps) {
  const local = new LocalEnvironments(deps.runtimes, deps.settings);
  return createTemplateAction({
    id: 'loco:environment:update',
    description:
      'Scales a Loco environment, changes its snapshot tag or its disk size',
    examples,
    supportsDryRun: true,
    schema: {
      input,
      output: {
        ...environmentOutputs,
      },
    },
    async handler(ctx) {
      await audited(deps.auditor, ctx, AUDIT_EVENTS.update, async audit => {
        const args = validateInput(input, ctx.input);
        const { name, runtime, instances, snapshotTag, storageSize, wait } =
          args;
        const { snapshotFallback } = args;
        const timeout = args.timeout ?? deps.settings.helm.timeout;
        audit.record({ environment: name, runtime, instances, snapshotTag });
        audit.record({ snapshotFallback, storageSize });
        if (
          instances === undefined &&
          snapshotTag === undefined &&
          storageSize === undefined
        ) {
          throw new InputError(
            'Nothing to change: give instances, snapshotTag and/or storageSize',
          );
        }
        // The policy is for a pull; without a tag there is none to apply it
        // to (the same tag again retries it, with the new policy).
        if (snapshotFallback !== undefined && snapshotTag === undefined) {
          throw new InputError(
            'snapshotFallback applies to the pull of a snapshotTag: give the tag too (the same tag pulls it again)',
          );
        }
        const what = [
          instances !== undefined ? `${instances} instances` : '',
          snapshotTag !== undefined ? `snapshot ${snapshotTag}` : '',
          snapshotFallback !== undefined ? `fallback ${snapshotFallback}` : '',
          storageSize !== undefined ? `disks of ${storageSize}` : '',
        ]
          .filter(Boolean)
          .join(', ');
        const changeKey = `${instances ?? ''}.${snapshotTag ?? ''}${
          snapshotFallback !== undefined ? `.${snapshotFallback}` : ''
        }${storageSize !== undefined ? `.${storageSize}` : ''}`;

        if (runtime === 'kubernetes') {
          // The Kubernetes runtime plans and applies the change (Helm).
          const kubernetes = deps.runtimes.planner('kubernetes');
          const target = kubernetes.resolveTarget({
            cluster: args.cluster,
            namespace: args.namespace,
          });
          checkHelmSnapshotTag(snapshotTag, deps.settings.helm.snapshotTags);
          audit.record(target);
          await authorizeManage(deps, ctx);
          await carryOut(
            ctx,
            {
              environment: name,
              checkpoint: `loco.helm.update.${target.cluster}.${target.namespace}.${name}.${changeKey}`,
            },
            () =>
              kubernetes.planUpdate(
                name,
                { instances, snapshotTag, snapshotFallback, storageSize },
                helmRunOptions(ctx, target, { wait, timeout }),
              ),
          );
        } else {
          rejectKubernetesOnlyInputs(args, [
            'cluster',
            'namespace',
            'storageSize',
          ]);
          const change = { instances, snapshotTag, snapshotFallback };
          local.check({ snapshotTag });
          await authorizeManage(deps, ctx);
          await carryOut(
            ctx,
            {
              environment: name,
              checkpoint: `loco.local.update.${name}.${changeKey}`,
            },
            async () => {
              const env = await local.get(name);
              return {
                description: `change local environment ${name} to ${what}`,
                apply: async () => {
                  await deps.runtimes.updateEnvironment(name, change);
                  if (!wait) return;
                  await local.waitHealthy(
                    name,
                    instances ?? env.desiredInstances,
                    durationMs(timeout),
                    ctx.logger,
                    ctx.signal,
                  );
                },
              };
            },
          );
        }
        const links = environmentLinks(name);
        ctx.output('environment', name);
        ctx.output('entityRef', links.entityRef);
        ctx.output('locoUrl', links.locoUrl);
      });
    },
  });
}
