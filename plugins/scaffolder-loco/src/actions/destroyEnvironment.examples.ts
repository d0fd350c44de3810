import type { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

export const examples: TemplateExample[] = [
  {
    description: 'Destroy a local environment',
    example: yaml.stringify({
      steps: [
        {
          id: 'destroy',
          action: 'loco:environment:destroy',
          name: 'Destroy Loco environment',
          input: { name: 'loco-team-a', runtime: 'local' },
        },
      ],
    }),
  },
  {
    description:
      "Uninstall a Kubernetes environment (Helm release) and delete its instances' disks (PersistentVolumeClaims, kept otherwise)",
    example: yaml.stringify({
      steps: [
        {
          id: 'destroy',
          action: 'loco:environment:destroy',
          name: 'Destroy Loco environment',
          input: {
            name: 'lan-party',
            runtime: 'kubernetes',
            cluster: 'prod-eu',
            namespace: 'loco',
            deleteDisks: true,
          },
        },
      ],
    }),
  },
];
