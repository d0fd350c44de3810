import type { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

export const examples: TemplateExample[] = [
  {
    description:
      'Publish the first emulator of an environment (game installed, state saved) as the games snapshot',
    example: yaml.stringify({
      steps: [
        {
          id: 'publish',
          action: 'loco:snapshot:publish',
          name: 'Publish snapshot',
          input: { name: 'loco-builder', index: 0, tag: 'games' },
        },
      ],
    }),
  },
];
