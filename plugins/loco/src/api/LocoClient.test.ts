import { ResponseError } from '@backstage/errors';
import { LocoClient } from './LocoClient';

/** Test double of Backstage's fetch and discovery APIs: records the requests, answers as the backend does. */
function client(answer: { status: number; body: object }) {
  const requests: Array<{ url: string; init?: RequestInit }> = [];
  const locoClient = new LocoClient({
    discoveryApi: { getBaseUrl: async id => `http://portal/api/${id}` },
    fetchApi: {
      fetch: async (input: RequestInfo | URL, init?: RequestInit) => {
        requests.push({ url: String(input), init });
        return new Response(JSON.stringify(answer.body), {
          status: answer.status,
          headers: { 'Content-Type': 'application/json' },
        });
      },
    },
    identityApi: {} as any,
  });
  return { locoClient, requests };
}

describe('LocoClient.publishSnapshot', () => {
  it('posts the tag as JSON to the instance and returns the digest', async () => {
    const digest = `sha256:${'ab'.repeat(32)}`;
    const { locoClient, requests } = client({
      status: 201,
      body: { environment: 'my env', index: 2, tag: 'games', digest },
    });
    await expect(
      locoClient.publishSnapshot('my env', 2, 'games'),
    ).resolves.toEqual({
      environment: 'my env',
      index: 2,
      tag: 'games',
      digest,
    });
    expect(requests).toHaveLength(1);
    expect(requests[0].url).toBe(
      'http://portal/api/loco/environments/my%20env/instances/2/publish',
    );
    expect(requests[0].init?.method).toBe('POST');
    expect(new Headers(requests[0].init?.headers).get('Content-Type')).toBe(
      'application/json',
    );
    expect(JSON.parse(String(requests[0].init?.body))).toEqual({
      tag: 'games',
    });
  });

  it("rejects with the backend's reason when it refuses", async () => {
    const { locoClient } = client({
      status: 400,
      body: {
        error: { name: 'InputError', message: 'tag: must be a snapshot tag' },
        request: { method: 'POST', url: '/x' },
        response: { statusCode: 400 },
      },
    });
    const error = await locoClient
      .publishSnapshot('e', 0, 'games:v2')
      .catch(e => e);
    expect(error).toBeInstanceOf(ResponseError);
    // What the dialog shows: the backend's reason.
    expect(error.cause.message).toBe('tag: must be a snapshot tag');
  });
});

describe('LocoClient seats', () => {
  it('lists, claims, leaves and takes over at the paths loco-common names', async () => {
    const body = { environment: 'loco-demo', seats: [] };
    const { locoClient, requests } = client({ status: 200, body });
    await locoClient.listSeats('loco-demo');
    await locoClient.claimSeat('loco-demo', 1);
    await locoClient.leaveSeat('loco-demo', 1);
    await locoClient.takeOverSeat('loco-demo', 2);
    const base = 'http://portal/api/loco/environments/loco-demo';
    expect(requests.map(r => [r.init?.method ?? 'GET', r.url])).toEqual([
      ['GET', `${base}/seats`],
      ['POST', `${base}/instances/1/seat`],
      ['DELETE', `${base}/instances/1/seat`],
      ['POST', `${base}/instances/2/seat/take-over`],
    ]);
  });

  it('rejects with the backend’s answer when a seat is taken (409)', async () => {
    const { locoClient } = client({
      status: 409,
      body: { error: { name: 'ConflictError', message: 'taken' } },
    });
    await expect(locoClient.claimSeat('loco-demo', 1)).rejects.toBeInstanceOf(
      ResponseError,
    );
  });
});
