import { ConfigReader } from '@backstage/config';
import { readKubernetesConfig } from './kubernetesConfig';
import { readProvisioningSettings } from '../provisioning/provisioningConfig';

// Through JSON, as config arrives.
const configOf = (data: object) =>
  new ConfigReader(JSON.parse(JSON.stringify(data)));

// Backstage's Kubernetes plugin config, as its docs show it.
const backstageKubernetes = {
  serviceLocatorMethod: { type: 'multiTenant' },
  clusterLocatorMethods: [
    {
      type: 'config',
      clusters: [
        {
          name: 'prod-eu',
          url: 'https://k8s.example:6443',
          authProvider: 'serviceAccount',
          serviceAccountToken: 't0k3n',
          caData: 'Q0E=',
          skipMetricsLookup: true,
        },
        {
          name: 'gke-1',
          url: 'https://gke.example',
          authProvider: 'google',
        },
        {
          name: 'in-cluster',
          url: 'https://kubernetes.default.svc',
          authProvider: 'serviceAccount',
        },
        {
          name: 'Upper_Case',
          url: 'https://k8s2.example',
          authProvider: 'serviceAccount',
          serviceAccountToken: 't',
        },
        {
          name: 'meta',
          url: 'http://127.0.0.1:8001',
          authMetadata: { 'kubernetes.io/auth-provider': 'serviceAccount' },
          serviceAccountToken: 'm',
          skipTLSVerify: true,
        },
      ],
    },
    { type: 'catalog' },
  ],
};

describe("clusters from Backstage's Kubernetes plugin config", () => {
  it('uses the config clusters with a service-account token when loco.kubernetes.clusters is absent, and says why the others are not', () => {
    const read = readKubernetesConfig(
      configOf({ kubernetes: backstageKubernetes }),
    );
    expect(read.from).toBe('kubernetes.clusterLocatorMethods');
    expect(read.clusters).toEqual([
      expect.objectContaining({
        name: 'prod-eu',
        url: 'https://k8s.example:6443',
        authProvider: 'serviceAccount',
        serviceAccountToken: 't0k3n',
        caData: 'Q0E=',
        skipTLSVerify: false,
        namespaces: [],
        emulatorAccess: 'direct',
      }),
      expect.objectContaining({
        name: 'meta',
        serviceAccountToken: 'm',
        skipTLSVerify: true,
      }),
    ]);
    expect(read.notes).toEqual([
      expect.stringMatching(/gke-1 .*authProvider google is not supported/),
      expect.stringMatching(/in-cluster .*no serviceAccountToken/),
      expect.stringMatching(/Upper_Case .*\[a-z0-9-\]/),
      expect.stringMatching(/type catalog is not used by Loco/),
    ]);
    // Provisioning (Helm) targets the same clusters.
    expect(
      readProvisioningSettings(
        configOf({ kubernetes: backstageKubernetes }),
      ).clusters.map(c => c.name),
    ).toEqual(['prod-eu', 'meta']);
  });

  it("prefers loco.kubernetes.clusters, and an empty list there turns Backstage's off", () => {
    const own = {
      name: 'lab',
      url: 'https://lab.example',
      serviceAccountToken: 'x',
    };
    const withOwn = readKubernetesConfig(
      configOf({
        kubernetes: backstageKubernetes,
        loco: { kubernetes: { clusters: [own] } },
      }),
    );
    expect(withOwn.from).toBe('loco.kubernetes.clusters');
    expect(withOwn.clusters.map(c => c.name)).toEqual(['lab']);
    const off = readKubernetesConfig(
      configOf({
        kubernetes: backstageKubernetes,
        loco: { kubernetes: { clusters: [] } },
      }),
    );
    expect(off.clusters).toEqual([]);
    expect(off.notes).toEqual([]);
  });

  it('means no clusters when neither is configured, and rejects a malformed locator list', () => {
    expect(readKubernetesConfig(configOf({}))).toMatchObject({
      clusters: [],
      from: 'none',
    });
    expect(() =>
      readKubernetesConfig(
        configOf({ kubernetes: { clusterLocatorMethods: [{ clusters: [] }] } }),
      ),
    ).toThrow(/Invalid kubernetes.clusterLocatorMethods config/);
  });
});
