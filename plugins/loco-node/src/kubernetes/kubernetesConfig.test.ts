import { ConfigReader } from '@backstage/config';
import { kubeConfigFor, readKubernetesConfig } from './kubernetesConfig';

// Through JSON, as config arrives: arbitrary (even invalid) shapes allowed.
const read = (kubernetes: object) =>
  readKubernetesConfig(
    new ConfigReader(JSON.parse(JSON.stringify({ loco: { kubernetes } }))),
  );

describe('readKubernetesConfig', () => {
  it('means local-only when absent', () => {
    expect(readKubernetesConfig(new ConfigReader({})).clusters).toEqual([]);
  });

  it('applies defaults and builds a bearer-token client config', () => {
    const [cluster] = read({
      clusters: [
        {
          name: 'prod-eu',
          url: 'https://k8s.example:6443',
          serviceAccountToken: 't0k3n',
        },
      ],
    }).clusters;
    expect(cluster).toMatchObject({
      authProvider: 'serviceAccount',
      namespaces: [],
      emulatorAccess: 'direct',
      skipTLSVerify: false,
    });
    const kc = kubeConfigFor(cluster);
    expect(kc.getCurrentCluster()?.server).toBe('https://k8s.example:6443');
    expect(kc.getCurrentUser()?.token).toBe('t0k3n');
  });

  it.each([
    [
      {
        clusters: [
          { name: 'Prod EU', url: 'https://x', serviceAccountToken: 't' },
        ],
      },
      'must be [a-z0-9-]+',
    ],
    [
      { clusters: [{ name: 'a', serviceAccountToken: 't' }] },
      'url is required',
    ],
    [
      { clusters: [{ name: 'a', url: 'https://x' }] },
      'serviceAccountToken is required',
    ],
    [
      { clusters: [{ name: 'a', authProvider: 'kubeconfig' }] },
      'kubeconfigPath is required',
    ],
    [
      {
        clusters: [
          {
            name: 'a',
            url: 'https://x',
            serviceAccountToken: 't',
            emulatorAccess: 'ssh',
          },
        ],
      },
      'emulatorAccess',
    ],
    [
      {
        clusters: [
          { name: 'a', url: 'https://x', serviceAccountToken: 't' },
          { name: 'a', url: 'https://y', serviceAccountToken: 't' },
        ],
      },
      'cluster name a appears twice',
    ],
  ])('rejects invalid config %#', (kubernetes, message) => {
    expect(() => read(kubernetes)).toThrow(message);
  });
});
