import type { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

export const examples: TemplateExample[] = [
  {
    description:
      'Scale a Kubernetes environment to twelve emulators and move it to a new snapshot',
    example: yaml.stringify({
      steps: [
        {
          id: 'update',
          action: 'loco:environment:update',
          name: 'Scale Loco environment',
          input: {
            name: 'lan-party',
            runtime: 'kubernetes',
            cluster: 'prod-eu',
            namespace: 'loco',
            instances: 12,
            snapshotTag: 'win98-lan-v2',
          },
        },
      ],
    }),
  },
];
