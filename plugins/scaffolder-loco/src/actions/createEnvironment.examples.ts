import type { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

export const examples: TemplateExample[] = [
  {
    description:
      'A local environment of four demo emulators, waiting until all are healthy',
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
            owner: 'group:default/team-a',
            wait: true,
            timeout: '5m',
          },
        },
      ],
    }),
  },
  {
    description:
      'Nine persistent emulators on a Kubernetes cluster (Helm release of the Loco chart)',
    example: yaml.stringify({
      steps: [
        {
          id: 'create',
          action: 'loco:environment:create',
          name: 'Create Loco environment',
          input: {
            name: 'lan-party',
            runtime: 'kubernetes',
            cluster: 'prod-eu',
            namespace: 'loco',
            instances: 9,
            storageMode: 'persistent',
            snapshotTag: 'win98-base',
            snapshotRegistry: 'ghcr.io/example/loco-snapshots',
            owner: 'group:default/team-a',
            wait: true,
            timeout: '15m',
          },
        },
      ],
    }),
  },
];
