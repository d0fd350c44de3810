import { KubeConfig } from '@kubernetes/client-node';
import { ReportingWatch } from './ReportingWatch';
import { FakeKubernetesApiServer } from './__testUtils__/FakeKubernetesApiServer';

// Waits are for events, never for time; this only bounds a hung test.
jest.setTimeout(30_000);

const PATH = '/api/v1/namespaces/loco/pods';
let api: FakeKubernetesApiServer;
let kc: KubeConfig;

beforeEach(async () => {
  api = new FakeKubernetesApiServer({ bookmarkIntervalMs: 50 });
  await api.start();
  kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: api.url, skipTLSVerify: true }],
    users: [{ name: 'u' }],
    contexts: [{ name: 'c', cluster: 'c', user: 'u' }],
    currentContext: 'c',
  });
});

afterEach(() => api.close());

describe('ReportingWatch', () => {
  it('asks for bookmarks and reports them as proof of life, with the connect', async () => {
    const seen: string[] = [];
    let connected = 0;
    let bookmarks = 0;
    let done!: () => void;
    const twoBookmarks = new Promise<void>(resolve => (done = resolve));
    const watch = new ReportingWatch(
      kc,
      { initialMs: 50, maxMs: 100 },
      {
        connected: () => (connected += 1),
        event: () => {
          bookmarks += 1;
          if (bookmarks === 2) done();
        },
      },
    );
    const controller = await watch.watch(
      PATH,
      { resourceVersion: '1' },
      phase => seen.push(phase),
      () => {},
    );
    await twoBookmarks;
    controller.abort();
    expect(connected).toBe(1);
    expect(seen.slice(0, 2)).toEqual(['BOOKMARK', 'BOOKMARK']);
  });

  it('passes a refused watch (403) on as an error and does not report it as connected', async () => {
    api.faults.forbid({ verb: 'watch' });
    let connected = 0;
    const error = await new Promise<any>(resolve => {
      new ReportingWatch(
        kc,
        { initialMs: 50, maxMs: 100 },
        { connected: () => (connected += 1), event: () => {} },
      ).watch(PATH, {}, () => {}, resolve);
    });
    expect(error).toMatchObject({ statusCode: 403 });
    expect(connected).toBe(0);
  });
});
