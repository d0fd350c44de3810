import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { nameTakenError } from '@loco-portal/plugin-loco-node';
import { AUDIT_EVENTS, audited, AuditRecord } from './audit';
import { carryOut } from './carryOut';
import {
  AnyContext,
  authorizeManage,
  environmentLinks,
  helmRunOptions,
  LocoActionDeps,
} from './context';
import { examples } from './createEnvironment.examples';
import {
  checkHelmSnapshotTag,
  durationMs,
  environmentOutputs,
  inputSchema,
  ParsedInput,
  rejectKubernetesOnlyInputs,
  validateInput,
} from './inputs';
import { LocalEnvironments } from './localEnvironments';

const KEYS = [
  'name',
  'runtime',
  'instances',
  'storageMode',
  'snapshotTag',
  'snapshotRegistry',
  'snapshotFallback',
  'cluster',
  'namespace',
  'owner',
  'wait',
  'timeout',
] as const;

const input = inputSchema(KEYS, {
  instances: z =>
    z
      .number()
      .int()
      .min(1)
      .max(32)
      .default(4)
      .describe('Number of emulators (1-32)'),
});

/** The validated input, with the owner and timeout defaults applied. */
type CreateArgs = ParsedInput<(typeof KEYS)[number]> & {
  owner: string;
  timeout: string;
};

/**
 * `loco:environment:create`: N emulators joined as one LAN, either in the
 * backend's local runtime or as a Helm release of the project's chart on a
 * configured cluster. Fails cleanly: nothing half-made remains. A dry run
 * makes every check the real run makes (see carryOut) and changes nothing.
 *
 * @public
 */
export function createLocoEnvironmentAction(deps: LocoActionDeps) {
  const local = new LocalEnvironments(deps.runtimes, deps.settings);

  /** Returns the cluster name the release went to. */
  async function createOnHelm(
    ctx: AnyContext,
    args: CreateArgs,
    audit: AuditRecord,
  ): Promise<string> {
    const { name, wait, timeout } = args;
    // The Kubernetes runtime plans and applies the change (Helm): the same
    // code path as its createEnvironment.
    const kubernetes = deps.runtimes.planner('kubernetes');
    const target = kubernetes.resolveTarget({
      cluster: args.cluster,
      namespace: args.namespace,
    });
    checkHelmSnapshotTag(args.snapshotTag, deps.settings.helm.snapshotTags);
    const { cluster } = target;
    audit.record(target);
    const spec = {
      name,
      owner: args.owner,
      instances: args.instances,
      storageMode: args.storageMode,
      snapshotTag: args.snapshotTag,
      snapshotRegistry: args.snapshotRegistry,
      snapshotFallback: args.snapshotFallback,
    };
    await authorizeManage(deps, ctx);
    await carryOut(
      ctx,
      {
        environment: name,
        checkpoint: `loco.helm.install.${cluster}.${target.namespace}.${name}`,
      },
      async () => {
        const plan = await kubernetes.planCreate(
          spec,
          helmRunOptions(ctx, target, { wait, timeout }),
        );
        // Unless this is our own release, the name must be free everywhere.
        if (!plan.existing && (await local.find(name))) {
          throw nameTakenError(name);
        }
        return plan;
      },
    );
    return cluster;
  }

  async function createLocally(ctx: AnyContext, args: CreateArgs) {
    const { name, instances, storageMode, snapshotTag } = args;
    rejectKubernetesOnlyInputs(args, [
      'cluster',
      'namespace',
      'snapshotRegistry',
    ]);
    local.checkCreate({ snapshotTag, storageMode });
    await authorizeManage(deps, ctx);
    const spec = {
      name,
      instances,
      storageMode,
      snapshotTag,
      snapshotFallback: args.snapshotFallback,
      owner: args.owner || undefined,
    };
    const step = { environment: name, checkpoint: `loco.local.create.${name}` };
    await carryOut(ctx, step, async () => {
      const existing = await local.existsAlready(spec);
      return {
        description: existing
          ? `leave local environment ${name} as it is (it exists with this spec)`
          : `create local environment ${name} with ${instances} instances (${storageMode})`,
        apply: async () => {
          if (!existing) await deps.runtimes.createEnvironment('local', spec);
          if (args.wait) await waitOrRemove(ctx, args, !existing);
        },
      };
    });
  }

  /**
   * Waits until every instance is healthy. Nothing half-made remains: an
   * environment this run created that never gets healthy is destroyed again.
   */
  async function waitOrRemove(
    ctx: AnyContext,
    { name, instances, timeout }: CreateArgs,
    created: boolean,
  ) {
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
      ctx.logger.warn(`Destroying ${name}: ${(error as Error).message}`);
      await deps.runtimes.destroyEnvironment(name).catch(() => undefined);
      throw error;
    }
  }

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
      await audited(deps.auditor, ctx, AUDIT_EVENTS.create, async audit => {
        const parsed = validateInput(input, ctx.input);
        const args: CreateArgs = {
          ...parsed,
          owner: parsed.owner ?? ctx.user?.ref ?? '',
          timeout: parsed.timeout ?? deps.settings.helm.timeout,
        };
        const { name, runtime, instances, storageMode, snapshotTag } = args;
        audit.record({ environment: name, runtime, instances, storageMode });
        audit.record({
          snapshotTag,
          snapshotFallback: args.snapshotFallback,
          owner: args.owner || undefined,
        });

        let location = 'local';
        if (runtime === 'kubernetes') {
          location = await createOnHelm(ctx, args, audit);
        } else {
          await createLocally(ctx, args);
        }

        const links = environmentLinks(name);
        ctx.output('environment', name);
        ctx.output('entityRef', links.entityRef);
        ctx.output('locoUrl', links.locoUrl);
        ctx.output('runtime', runtime);
        ctx.output('location', location);
      });
    },
  });
}
