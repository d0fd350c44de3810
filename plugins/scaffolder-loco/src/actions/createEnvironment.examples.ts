import type { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

export const examples: TemplateExample[] = [
  {
    description: 'A local environment of four demo emulators',
    example: yaml.stringify({
      steps: [
        {
          id: 'create',
          action: 'loco:environment:create',
          name: 'Create Loco environment',
          input: {
            name: 'loco-team-a',
            runtime: 'local',
            instances: 4,
            storageMode: 'ephemeral',
            snapshotTag: 'demo',
          },
        },
      ],
    }),
  },
];
