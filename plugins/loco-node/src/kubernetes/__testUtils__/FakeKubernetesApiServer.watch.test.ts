import { EMULATOR_SELECTOR } from '../ClusterWatcher';
import { emulatorPod } from './emulatorObjects';
import { FakeKubernetesApiServer } from './FakeKubernetesApiServer';
import { parseLabelSelector } from './labelSelector';
import { rawRequest, rawWatch, type RawWatch } from './rawApiClient';

// Tests of the TEST DOUBLE itself: it must behave as kube-apiserver where our
// code depends on it (sources cited in fakeWatch.ts and labelSelector.ts).

// Bounds a hung test on a busy machine; waits are for events.
jest.setTimeout(30_000);

const PODS = '/api/v1/namespaces/loco/pods';
const selector = (s: string) => `labelSelector=${encodeURIComponent(s)}`;
let api: FakeKubernetesApiServer;
const open: RawWatch[] = [];

beforeEach(async () => {
  api = new FakeKubernetesApiServer();
  await api.start();
});

afterEach(async () => {
  for (const w of open.splice(0)) w.close();
  await api.close();
});

async function watch(path: string) {
  const w = await rawWatch(api, path);
  open.push(w);
  return w;
}

describe('fake API server: watch semantics', () => {
  it('starts a watch without resourceVersion with synthetic ADDED events, then streams changes', async () => {
    api.apply('pods', emulatorPod('lab', 0));
    api.apply('pods', emulatorPod('lab', 1));
    const w = await watch(PODS);
    await w.waitFor(2);
    expect(w.events.map(e => [e.type, e.object.metadata.name])).toEqual([
      ['ADDED', 'lab-0'],
      ['ADDED', 'lab-1'],
    ]);
    api.apply('pods', emulatorPod('lab', 1, { restartCount: 1 }));
    await w.waitFor(3);
    expect(w.events[2]).toMatchObject({
      type: 'MODIFIED',
      object: { metadata: { name: 'lab-1' } },
    });
  });

  it('resumes exactly after a resourceVersion, and answers 410 Gone once it is compacted, but never for "0"', async () => {
    const first = api.apply('pods', emulatorPod('lab', 0));
    api.apply('pods', emulatorPod('lab', 1));
    const resumed = await watch(
      `${PODS}?resourceVersion=${first.metadata.resourceVersion}`,
    );
    await resumed.waitFor(1);
    expect(resumed.events.map(e => e.object.metadata.name)).toEqual(['lab-1']);

    api.compact();
    const gone = await watch(
      `${PODS}?resourceVersion=${first.metadata.resourceVersion}`,
    );
    await gone.ended;
    expect(gone.status).toBe(200);
    expect(gone.events).toEqual([
      {
        type: 'ERROR',
        object: expect.objectContaining({
          kind: 'Status',
          status: 'Failure',
          code: 410,
          reason: 'Expired',
          message: expect.stringMatching(
            /^too old resource version: \d+ \(\d+\)$/,
          ),
        }),
      },
    ]);

    const any = await watch(`${PODS}?resourceVersion=0`);
    await any.waitFor(2);
    expect(any.events.map(e => [e.type, e.object.metadata.name])).toEqual([
      ['ADDED', 'lab-0'],
      ['ADDED', 'lab-1'],
    ]);
  });

  it('sends DELETED when an object stops matching the selector and ADDED when it starts', async () => {
    const w = await watch(`${PODS}?${selector(EMULATOR_SELECTOR)}`);
    const pod = api.apply('pods', emulatorPod('lab', 0));
    const relabelled = structuredClone(pod);
    relabelled.metadata.labels['app.kubernetes.io/component'] = 'lan-hub';
    const moved = api.apply('pods', relabelled);
    api.apply('pods', emulatorPod('lab', 0, { restartCount: 1 })); // matches again
    const events = await w.waitFor(3);
    expect(events.map(e => e.type)).toEqual(['ADDED', 'DELETED', 'ADDED']);
    // The DELETED carries the last matching content at the change's resourceVersion.
    expect(
      events[1].object.metadata.labels['app.kubernetes.io/component'],
    ).toBe('emulator');
    expect(events[1].object.metadata.resourceVersion).toBe(
      moved.metadata.resourceVersion,
    );
    // A change of an object that matches neither before nor after is not sent.
    const stranger = emulatorPod('other', 0);
    stranger.metadata.labels['app.kubernetes.io/component'] = 'lan-hub';
    api.apply('pods', stranger);
    api.apply('pods', emulatorPod('lab', 0, { restartCount: 2 }));
    expect((await w.waitFor(4))[3]).toMatchObject({
      type: 'MODIFIED',
      object: { metadata: { name: 'lab-0' } },
    });
  });

  it('rejects a malformed label selector with 400 BadRequest on lists and watches', async () => {
    for (const bad of [
      'a=b=c',
      'app in (x',
      '-bad-key',
      'k=v,',
      'k notin ()',
    ]) {
      for (const watching of ['', '&watch=true']) {
        const answer = await rawRequest(
          api,
          `${PODS}?${selector(bad)}${watching}`,
        );
        expect(answer.status).toBe(400);
        expect(answer.body).toMatchObject({
          kind: 'Status',
          status: 'Failure',
          reason: 'BadRequest',
          code: 400,
        });
      }
    }
    const ok = await rawRequest(api, `${PODS}?${selector(EMULATOR_SELECTOR)}`);
    expect(ok.status).toBe(200);
  });

  it('names list kinds and versions per resource, with the current resourceVersion', async () => {
    const last = api.apply('pods', emulatorPod('lab', 0));
    const lists = await Promise.all(
      [
        PODS,
        '/api/v1/namespaces/loco/secrets',
        '/apis/apps/v1/namespaces/loco/statefulsets',
      ].map(path => rawRequest(api, path)),
    );
    expect(lists.map(l => [l.body.kind, l.body.apiVersion])).toEqual([
      ['PodList', 'v1'],
      ['SecretList', 'v1'],
      ['StatefulSetList', 'apps/v1'],
    ]);
    expect(lists[0].body.metadata.resourceVersion).toBe(
      last.metadata.resourceVersion,
    );
  });
});

describe('fake API server: label selectors as labels.Parse reads them', () => {
  const labels = { app: 'loco', tier: 'emulator', index: '3' };
  it.each([
    ['app=loco', true],
    ['app==loco,tier=emulator', true],
    ['app!=loco', false],
    ['missing!=x', true],
    ['app', true],
    ['!app', false],
    ['!missing', true],
    ['tier in (emulator, hub)', true],
    ['tier notin (emulator)', false],
    ['missing notin (x)', true],
    ['index>2', true],
    ['index<3', false],
    ['app=', false],
    ['', true],
  ])('%s matches: %s', (raw, expected) => {
    expect(parseLabelSelector(raw)(labels)).toBe(expected);
  });

  it.each([
    ['a=b=c', "found '=', expected: ',' or 'end of string'"],
    ['k=v,', "found 'end of string', expected: identifier after ','"],
    ['Bad_/x=1', 'unable to parse requirement: key: Invalid value: "Bad_/x"'],
    ['k=-v', 'unable to parse requirement: values[0][k]: Invalid value: "-v"'],
    ['k>x', "for 'Gt', 'Lt' operators, the value must be an integer"],
  ])('refuses %s', (raw, message) => {
    expect(() => parseLabelSelector(raw)).toThrow(message);
  });
});
