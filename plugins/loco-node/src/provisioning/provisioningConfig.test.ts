import path from 'node:path';
import { ConfigReader } from '@backstage/config';
import { readProvisioningSettings } from './provisioningConfig';

const read = (loco: object) =>
  readProvisioningSettings(new ConfigReader({ loco }));

describe('readProvisioningSettings', () => {
  it('reads the clusters discovery reads, keeping only what Helm needs to know', () => {
    const { clusters } = read({
      kubernetes: {
        clusters: [
          {
            name: 'prod-eu',
            url: 'https://k8s.example:6443',
            serviceAccountToken: 't0k3n',
            emulatorAccess: 'portForward', // the runtime's, not an error here
          },
        ],
      },
    });
    expect(clusters[0]).toMatchObject({
      name: 'prod-eu',
      authProvider: 'serviceAccount',
      namespaces: [],
    });
  });

  it('refuses a cluster Helm could not authenticate to, naming the missing key', () => {
    expect(() =>
      read({ kubernetes: { clusters: [{ name: 'prod-eu' }] } }),
    ).toThrow(/url is required for authProvider serviceAccount/);
    expect(() =>
      read({
        kubernetes: { clusters: [{ name: 'lab', authProvider: 'kubeconfig' }] },
      }),
    ).toThrow(/kubeconfigPath is required for authProvider kubeconfig/);
  });

  it('refuses a configured snapshot tag the emulator would refuse', () => {
    expect(
      read({ helm: { snapshotTags: ['win98-base'] } }).helm.snapshotTags,
    ).toEqual(['win98-base']);
    // OCI allows both; the emulator agent exits 2 on them.
    expect(() => read({ helm: { snapshotTags: ['_base'] } })).toThrow(
      /Invalid loco.helm config/,
    );
    expect(() => read({ helm: { snapshotTags: ['a'.repeat(65)] } })).toThrow(
      /Invalid loco.helm config/,
    );
  });

  it('resolves a chart path against the working directory, leaves OCI references alone', () => {
    expect(read({ helm: { chart: './chart' } }).helm.chart).toBe(
      path.resolve('chart'),
    );
    expect(read({ helm: { chart: 'oci://ghcr.io/x/loco' } }).helm.chart).toBe(
      'oci://ghcr.io/x/loco',
    );
  });
});
