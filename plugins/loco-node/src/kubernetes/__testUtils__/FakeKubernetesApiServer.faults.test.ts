import { FakeKubernetesApiServer } from './FakeKubernetesApiServer';
import { rawRequest } from './rawApiClient';
import { makeTestCertificates } from './testCertificates';

// Tests of the TEST DOUBLE itself: refusals with kube-apiserver's Status
// bodies (sources cited in fakeApiProtocol.ts and fakeFaults.ts), and TLS.

// Bounds a hung test on a busy machine (certificates are made with openssl).
jest.setTimeout(30_000);

const TOKEN = 'test-token';
const PODS = '/api/v1/namespaces/loco/pods';
const servers: FakeKubernetesApiServer[] = [];

async function startApi(
  options: ConstructorParameters<typeof FakeKubernetesApiServer>[0] = {},
) {
  const api = new FakeKubernetesApiServer({ token: TOKEN, ...options });
  await api.start();
  servers.push(api);
  return api;
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map(s => s.close()));
});

describe('fake API server: refusals', () => {
  it('answers a wrong token with 401 and an RBAC denial with 403, both as Status', async () => {
    const api = await startApi({ user: 'system:serviceaccount:loco:portal' });
    expect(await rawRequest(api, PODS, { token: 'wrong' })).toMatchObject({
      status: 401,
      body: { kind: 'Status', code: 401, reason: 'Unauthorized' },
    });

    const undo = api.faults.forbid({ verb: 'list', resource: 'pods' });
    expect(await rawRequest(api, PODS, { token: TOKEN })).toMatchObject({
      status: 403,
      body: {
        kind: 'Status',
        apiVersion: 'v1',
        status: 'Failure',
        reason: 'Forbidden',
        code: 403,
        details: { kind: 'pods' },
        message:
          'pods is forbidden: User "system:serviceaccount:loco:portal" cannot list resource "pods" in API group "" in the namespace "loco"',
      },
    });
    // Cluster-wide, and another resource of another group: still allowed.
    expect(
      (await rawRequest(api, '/api/v1/pods', { token: TOKEN })).body.message,
    ).toContain(
      'cannot list resource "pods" in API group "" at the cluster scope',
    );
    const sets = await rawRequest(
      api,
      '/apis/apps/v1/namespaces/loco/statefulsets',
      {
        token: TOKEN,
      },
    );
    expect(sets.status).toBe(200);
    undo();
    expect((await rawRequest(api, PODS, { token: TOKEN })).status).toBe(200);
  });

  it('throttles with 429, a Retry-After header and retryAfterSeconds in the Status, for as many requests as asked', async () => {
    const api = await startApi();
    api.faults.fail({ verb: 'list' }, { code: 429, retryAfterSeconds: 2 }, 2);
    for (let i = 0; i < 2; i++) {
      const answer = await rawRequest(api, PODS, { token: TOKEN });
      expect(answer.status).toBe(429);
      expect(answer.headers['retry-after']).toBe('2');
      expect(answer.body).toMatchObject({
        kind: 'Status',
        reason: 'TooManyRequests',
        code: 429,
        message: 'storage is (re)initializing',
        details: { retryAfterSeconds: 2 },
      });
    }
    expect((await rawRequest(api, PODS, { token: TOKEN })).status).toBe(200);
  });

  it.each([
    [
      500,
      'InternalError',
      'Internal error occurred: etcdserver: request timed out',
    ],
    [503, 'ServiceUnavailable', 'etcd is unavailable'],
    [
      504,
      'Timeout',
      'Timeout: request did not complete within requested timeout - context deadline exceeded',
    ],
  ] as const)('fails with %i %s as a Status', async (code, reason, message) => {
    const api = await startApi();
    api.faults.fail({ resource: 'pods' }, { code } as any);
    const answer = await rawRequest(api, PODS, { token: TOKEN });
    expect(answer).toMatchObject({
      status: code,
      body: { kind: 'Status', status: 'Failure', code, reason, message },
    });
    expect(answer.headers['retry-after']).toBeUndefined();
    expect((await rawRequest(api, PODS, { token: TOKEN })).status).toBe(200);
  });

  it('throttles before authorizing, and fails in storage after (the filter chain order)', async () => {
    const api = await startApi();
    api.faults.forbid({ resource: 'pods' });
    api.faults.fail({}, { code: 429 });
    api.faults.fail({}, { code: 500 });
    const codes = [];
    for (let i = 0; i < 3; i++)
      codes.push((await rawRequest(api, PODS, { token: TOKEN })).status);
    expect(codes).toEqual([429, 403, 403]);
    const sets = await rawRequest(
      api,
      '/apis/apps/v1/namespaces/loco/statefulsets',
      {
        token: TOKEN,
      },
    );
    expect(sets.status).toBe(500);
  });
});

describe('fake API server: broken connections', () => {
  it('can leave a request unanswered (a half-dead server) and end a watch at once with nothing (a proxy)', async () => {
    const api = await startApi();
    api.faults.fail({ verb: 'list' }, { code: 'hang' });
    api.faults.fail({ verb: 'watch' }, { code: 'close' });
    const hung = rawRequest(api, PODS, { token: TOKEN });
    // Positive control: a request after the hung one is answered.
    expect((await rawRequest(api, PODS, { token: TOKEN })).status).toBe(200);
    const closed = await rawRequest(api, `${PODS}?watch=true`, {
      token: TOKEN,
    });
    expect(closed).toMatchObject({ status: 200, body: '' });
    let settled = false;
    hung.then(
      () => (settled = true),
      () => (settled = true),
    );
    expect(settled).toBe(false);
    await api.stop(); // the outage ends the hung request
    await expect(hung).rejects.toThrow();
  });
});

describe('fake API server: TLS', () => {
  it('serves HTTPS with a certificate of a test CA: trusted with that CA, refused without it', async () => {
    const certs = makeTestCertificates();
    try {
      const api = await startApi({ tls: { cert: certs.cert, key: certs.key } });
      expect(api.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const trusted = await rawRequest(api, PODS, {
        token: TOKEN,
        ca: certs.caPem,
      });
      expect(trusted.status).toBe(200);
      await expect(
        rawRequest(api, PODS, { token: TOKEN }),
      ).rejects.toMatchObject({
        code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
      });
      const other = makeTestCertificates();
      try {
        await expect(
          rawRequest(api, PODS, { token: TOKEN, ca: other.caPem }),
        ).rejects.toMatchObject({
          code: expect.stringMatching(/CERT|SIGNATURE/),
        });
      } finally {
        other.dispose();
      }
    } finally {
      certs.dispose();
    }
  });
});
