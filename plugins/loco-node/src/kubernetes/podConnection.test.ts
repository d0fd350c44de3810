import net from 'node:net';
import type { Duplex } from 'node:stream';
import { KubeConfig, V1Pod } from '@kubernetes/client-node';
import { connectToPod } from './podConnection';
import { emulatorPod } from './__testUtils__/emulatorObjects';
import { FakeKubernetesApiServer } from './__testUtils__/FakeKubernetesApiServer';

// Bounds a hung test on a busy machine; waits are for events.
jest.setTimeout(30_000);

const TOKEN = 'test-token';
const POD_IP = '127.0.0.8';
let api: FakeKubernetesApiServer;
let kc: KubeConfig;
let echo: net.Server;
let echoPort: number;
let closedPort: number;

beforeAll(async () => {
  api = new FakeKubernetesApiServer({ token: TOKEN });
  await api.start();
  kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: api.url, skipTLSVerify: true }],
    users: [{ name: 'u', token: TOKEN }],
    contexts: [{ name: 'c', cluster: 'c', user: 'u' }],
    currentContext: 'c',
  });
  echo = net.createServer(socket => socket.pipe(socket));
  await new Promise<void>(resolve => echo.listen(0, POD_IP, () => resolve()));
  echoPort = (echo.address() as net.AddressInfo).port;
  // A port nothing listens on: bound, then closed again.
  const probe = net.createServer();
  await new Promise<void>(resolve => probe.listen(0, POD_IP, () => resolve()));
  closedPort = (probe.address() as net.AddressInfo).port;
  await new Promise(resolve => probe.close(resolve));
});

afterAll(async () => {
  await api.close();
  await new Promise(resolve => echo.close(resolve));
});

async function roundTrip(stream: Duplex): Promise<string> {
  const answer = new Promise<string>((resolve, reject) => {
    stream.once('data', (chunk: Buffer) => resolve(chunk.toString()));
    stream.once('error', reject);
  });
  stream.write('ping');
  try {
    return await answer;
  } finally {
    stream.destroy();
  }
}

const pod = (index: number, state: Parameters<typeof emulatorPod>[2] = {}) =>
  api.apply(
    'pods',
    emulatorPod('conn', index, { podIP: POD_IP, ...state }),
  ) as V1Pod;

describe.each(['direct', 'portForward'] as const)(
  'connectToPod (%s)',
  access => {
    it('carries bytes both ways to a running pod', async () => {
      const stream = await connectToPod(access, kc, pod(0), echoPort);
      expect(await roundTrip(stream)).toBe('ping');
    });

    it('fails when nothing listens on the pod port, saying where', async () => {
      const attempt = connectToPod(access, kc, pod(0), closedPort).then(
        roundTrip,
      );
      await expect(attempt).rejects.toThrow(
        access === 'direct'
          ? /ECONNREFUSED/
          : new RegExp(
              `port-forward to loco/conn-0:${closedPort}: .*ECONNREFUSED`,
            ),
      );
    });
  },
);

describe('connectToPod through the API server', () => {
  it('is refused for a pod that is not scheduled or not running, saying which pod', async () => {
    await expect(
      connectToPod('portForward', kc, pod(1, { unscheduled: true }), echoPort),
    ).rejects.toThrow(
      `port-forward to loco/conn-1:${echoPort} refused: Unexpected server response: 400`,
    );
    await expect(
      connectToPod('portForward', kc, pod(2, { phase: 'Pending' }), echoPort),
    ).rejects.toThrow(
      `port-forward to loco/conn-2:${echoPort} refused: Unexpected server response: 500`,
    );
  });

  it('is refused for a pod that no longer exists', async () => {
    const gone = pod(3);
    api.remove('pods', 'loco', 'conn-3');
    await expect(
      connectToPod('portForward', kc, gone, echoPort),
    ).rejects.toThrow('refused: Unexpected server response: 404');
  });
});

describe('connectToPod directly', () => {
  it('says so when the pod has no IP yet', async () => {
    await expect(
      connectToPod('direct', kc, pod(4, { unscheduled: true }), echoPort),
    ).rejects.toThrow('pod loco/conn-4 has no IP yet');
  });
});
