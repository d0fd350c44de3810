import { InputError } from '@backstage/errors';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { STORAGE_MODES } from '@loco-portal/plugin-loco-common';
import type { LocoRuntimes } from '@loco-portal/plugin-loco-node';
import { examples } from './createEnvironment.examples';

const NAME_PATTERN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * `loco:environment:create`: creates a Loco environment. The local runtime is
 * supported; the Kubernetes (Helm) path is refused with a clear error until it lands.
 */
export function createLocoEnvironmentAction(options: { runtimes: LocoRuntimes }) {
  return createTemplateAction({
    id: 'loco:environment:create',
    description: 'Creates a Loco environment: N emulators joined as one LAN',
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        name: z =>
          z
            .string()
            .max(40)
            .regex(NAME_PATTERN, 'lower-case letters, digits and dashes')
            .describe('Environment name, also the catalog entity name'),
        runtime: z =>
          z.enum(['local', 'kubernetes']).default('local').describe('Where the emulators run'),
        instances: z =>
          z.number().int().min(1).max(32).default(4).describe('Number of emulators'),
        storageMode: z =>
          z.enum(STORAGE_MODES).default('ephemeral').describe('How instance disks are kept'),
        snapshotTag: z =>
          z.string().regex(/^[a-z0-9][-a-z0-9._]*$/).optional().describe('Base image / snapshot tag'),
        owner: z => z.string().optional().describe('Owner entity ref'),
      },
      output: {
        environment: z => z.string().describe('The environment name'),
        entityRef: z => z.string().describe('Catalog entity ref of the environment'),
      },
    },
    async handler(ctx) {
      const { name, runtime, instances, storageMode, snapshotTag, owner } = ctx.input;
      if (runtime !== 'local') {
        throw new InputError(
          'The kubernetes runtime (Helm) is not available in this version of loco:environment:create; use runtime "local"',
        );
      }
      const entityRef = `resource:default/${name}`;
      if (ctx.isDryRun) {
        ctx.logger.info(`Dry run: would create local environment ${name} with ${instances} instances`);
      } else {
        ctx.logger.info(`Creating local environment ${name} with ${instances} instances`);
        await options.runtimes.createEnvironment('local', {
          name,
          instances,
          storageMode,
          snapshotTag,
          owner,
        });
      }
      ctx.output('environment', name);
      ctx.output('entityRef', entityRef);
    },
  });
}
