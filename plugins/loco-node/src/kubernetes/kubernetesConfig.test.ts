import net from 'node:net';
import { ConfigReader } from '@backstage/config';
import { CoreV1Api, Watch } from '@kubernetes/client-node';
import { kubeConfigFor, readKubernetesConfig } from './kubernetesConfig';
import { connectToPod } from './podConnection';
import { emulatorPod } from './__testUtils__/emulatorObjects';
import { FakeKubernetesApiServer } from './__testUtils__/FakeKubernetesApiServer';
import {
  makeTestCertificates,
  type TestCertificates,
} from './__testUtils__/testCertificates';

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

describe('kubeConfigFor against an API server with its own CA', () => {
  // Bounds a hung test on a busy machine; waits are for events.
  jest.setTimeout(30_000);
  let certs: TestCertificates;
  let api: FakeKubernetesApiServer;
  let echo: net.Server;

  beforeAll(async () => {
    certs = makeTestCertificates();
    api = new FakeKubernetesApiServer({
      token: 't0k3n',
      tls: { cert: certs.cert, key: certs.key },
    });
    await api.start();
    echo = net.createServer(socket => socket.pipe(socket));
    await new Promise<void>(resolve =>
      echo.listen(0, '127.0.0.7', () => resolve()),
    );
    api.apply('pods', emulatorPod('lab', 0, { podIP: '127.0.0.7' }));
  });

  afterAll(async () => {
    await api.close();
    await new Promise(resolve => echo.close(resolve));
    certs.dispose();
  });

  const clusterWith = (tls: object) =>
    read({
      clusters: [
        { name: 'tls', url: api.url, serviceAccountToken: 't0k3n', ...tls },
      ],
    }).clusters[0];

  /** List, watch and port-forward: client-node uses a different HTTP stack for each. */
  async function useCluster(tls: object) {
    const kc = kubeConfigFor(clusterWith(tls));
    const list = await kc
      .makeApiClient(CoreV1Api)
      .listNamespacedPod({ namespace: 'loco' });
    const firstEvent = await new Promise<string>((resolve, reject) => {
      let controller: AbortController | undefined;
      new Watch(kc)
        .watch(
          '/api/v1/namespaces/loco/pods',
          {},
          phase => {
            resolve(phase); // before abort(), which ends the stream with an error
            controller?.abort();
          },
          err => (err ? reject(err) : undefined),
        )
        .then(c => (controller = c), reject);
    });
    const port = (echo.address() as net.AddressInfo).port;
    const stream = await connectToPod('portForward', kc, list.items[0], port);
    const echoed = await new Promise<string>((resolve, reject) => {
      stream.once('data', (chunk: Buffer) => resolve(chunk.toString()));
      stream.once('error', reject);
      stream.write('ping');
    });
    stream.destroy();
    return { names: list.items.map(p => p.metadata?.name), firstEvent, echoed };
  }

  it('trusts the cluster CA given as caData (base64 PEM) for lists, watches and port-forwards', async () => {
    const caData = Buffer.from(certs.caPem).toString('base64');
    await expect(useCluster({ caData })).resolves.toEqual({
      names: ['lab-0'],
      firstEvent: 'ADDED',
      echoed: 'ping',
    });
  });

  it('trusts the cluster CA read from caFile', async () => {
    await expect(useCluster({ caFile: certs.caFile })).resolves.toEqual({
      names: ['lab-0'],
      firstEvent: 'ADDED',
      echoed: 'ping',
    });
  });

  it('refuses the API server without its CA, or with another CA', async () => {
    await expect(useCluster({})).rejects.toThrow(/certificate/i);
    const other = makeTestCertificates();
    try {
      await expect(
        useCluster({ caData: Buffer.from(other.caPem).toString('base64') }),
      ).rejects.toThrow(/certificate|signature/i);
    } finally {
      other.dispose();
    }
  });

  it('fails to start when caFile cannot be read', () => {
    expect(() =>
      kubeConfigFor(clusterWith({ caFile: `${certs.dir}/missing.crt` })),
    ).toThrow(/ENOENT/);
  });
});
