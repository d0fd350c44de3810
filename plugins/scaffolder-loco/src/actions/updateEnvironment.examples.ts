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
  {
    description:
      'Give the instances of an ephemeral Kubernetes environment bigger disks (refused for persistent or hybrid disks: their claims cannot change)',
    example: yaml.stringify({
      steps: [
        {
          id: 'update',
          action: 'loco:environment:update',
          name: 'Resize Loco environment disks',
          input: {
            name: 'lan-ci',
            runtime: 'kubernetes',
            cluster: 'prod-eu',
            namespace: 'loco',
            storageSize: '4Gi',
          },
        },
      ],
    }),
  },
];
