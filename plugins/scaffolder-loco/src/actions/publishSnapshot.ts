import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { AUDIT_EVENTS, audited } from './audit';
import { authorizeManage, LocoActionDeps } from './context';
import { inputSchema, validateInput } from './inputs';
import { examples } from './publishSnapshot.examples';

const input = inputSchema(['name', 'index', 'tag'] as const);

/**
 * `loco:snapshot:publish`: publishes one instance's current disk and RAM
 * state as a snapshot tag in the runtime's registry, so new environments
 * start from it (docs/snapshots.md). Needs loco.environment.manage.
 *
 * @public
 */
export function publishLocoSnapshotAction(deps: LocoActionDeps) {
  return createTemplateAction({
    id: 'loco:snapshot:publish',
    description:
      "Publishes an emulator's current disk and RAM state as a snapshot tag",
    examples,
    schema: {
      input,
      output: {
        tag: z => z.string().describe('The published tag'),
        digest: z =>
          z.string().describe('The manifest digest the tag now names'),
      },
    },
    async handler(ctx) {
      await audited(deps.auditor, ctx, AUDIT_EVENTS.publish, async audit => {
        const { name, index, tag } = validateInput(input, ctx.input);
        await authorizeManage(deps, ctx);
        ctx.logger.info(`Publishing ${name}-${index} as snapshot ${tag}`);
        const published = await deps.runtimes.publishSnapshot(name, index, tag);
        audit.record({ digest: published.digest });
        ctx.logger.info(`Published ${tag} (${published.digest})`);
        ctx.output('tag', published.tag);
        ctx.output('digest', published.digest);
      });
    },
  });
}
