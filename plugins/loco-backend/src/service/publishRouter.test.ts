import request from 'supertest';
import { mockCredentials } from '@backstage/backend-test-utils';
import { LocoRuntimes } from '@loco-portal/plugin-loco-node';
import { FakeEmulatorRuntime } from '../__testUtils__/FakeEmulatorRuntime';
import { RecordingAuditor } from '../__testUtils__/RecordingAuditor';
import {
  mockAuthServices,
  routerTestApp,
} from '../__testUtils__/routerTestApp';
import { createPublishRouter } from './publishRouter';

/** Test double of a runtime that can publish: records what it was asked. */
class PublishingFakeRuntime extends FakeEmulatorRuntime {
  readonly published: Array<[string, number, string]> = [];

  async publishSnapshot(environment: string, index: number, tag: string) {
    const { items } = await this.listEnvironments();
    const env = items.find(e => e.name === environment);
    if (!env || index >= env.instances.length)
      throw new Error(`no instance ${environment}/${index}`);
    this.published.push([environment, index, tag]);
    return { tag, digest: `sha256:${'ab'.repeat(32)}` };
  }
}

async function app(options: { allow?: boolean; canPublish?: boolean } = {}) {
  const spec = {
    name: 'builder',
    instances: 2,
    storageMode: 'persistent' as const,
  };
  const runtime =
    options.canPublish === false
      ? new FakeEmulatorRuntime([spec])
      : new PublishingFakeRuntime([spec]);
  const auditor = new RecordingAuditor();
  const router = await createPublishRouter({
    runtimes: new LocoRuntimes([runtime]),
    auditor,
    ...mockAuthServices(options),
  });
  return { server: routerTestApp(router), runtime, auditor };
}

const PATH = '/environments/builder/instances/1/publish';

describe('POST /environments/:env/instances/:index/publish', () => {
  it('publishes the instance as the tag, answers the digest and audits it', async () => {
    const { server, runtime, auditor } = await app();
    const res = await request(server)
      .post(PATH)
      .set('Authorization', mockCredentials.user.header())
      .send({ tag: 'games' });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      environment: 'builder',
      index: 1,
      tag: 'games',
      digest: `sha256:${'ab'.repeat(32)}`,
    });
    expect((runtime as PublishingFakeRuntime).published).toEqual([
      ['builder', 1, 'games'],
    ]);
    expect(auditor.events).toEqual([
      {
        eventId: 'loco-snapshot-publish',
        severityLevel: 'medium',
        meta: {
          environment: 'builder',
          instance: 1,
          snapshotTag: 'games',
          digest: `sha256:${'ab'.repeat(32)}`,
        },
        actorFromRequest: true,
        outcome: 'succeeded',
      },
    ]);
  });

  it('refuses callers without credentials before reading the body', async () => {
    const { server, runtime, auditor } = await app();
    const res = await request(server)
      .post(PATH)
      .set('Content-Type', 'application/json')
      .send('{not json');
    expect(res.status).toBe(401);
    expect((runtime as PublishingFakeRuntime).published).toEqual([]);
    expect(auditor.events).toEqual([]);
  });

  it('refuses users without loco.environment.manage, and audits the refusal', async () => {
    const { server, runtime, auditor } = await app({ allow: false });
    const res = await request(server)
      .post(PATH)
      .set('Authorization', mockCredentials.user.header())
      .send({ tag: 'games' });
    expect(res.status).toBe(403);
    expect((runtime as PublishingFakeRuntime).published).toEqual([]);
    expect(auditor.events).toMatchObject([
      { eventId: 'loco-snapshot-publish', outcome: 'failed' },
    ]);
  });

  it.each([
    ['a tag with a colon', { tag: 'games:v2' }],
    ['an empty tag', { tag: '' }],
    ['a tag of 65 characters', { tag: 'a'.repeat(65) }],
    ['no tag', {}],
    ['a tag that is not a string', { tag: 42 }],
  ])('refuses %s with a 400 and publishes nothing', async (_label, body) => {
    const { server, runtime } = await app();
    const res = await request(server)
      .post(PATH)
      .set('Authorization', mockCredentials.user.header())
      .send(body);
    expect(res.status).toBe(400);
    expect(res.body.error.name).toBe('InputError');
    expect((runtime as PublishingFakeRuntime).published).toEqual([]);
  });

  it('refuses a bad instance index with a 400', async () => {
    const { server } = await app();
    const res = await request(server)
      .post('/environments/builder/instances/0x1/publish')
      .set('Authorization', mockCredentials.user.header())
      .send({ tag: 'games' });
    expect(res.status).toBe(400);
  });

  it("says so when the environment's runtime cannot publish", async () => {
    const { server } = await app({ canPublish: false });
    const res = await request(server)
      .post(PATH)
      .set('Authorization', mockCredentials.user.header())
      .send({ tag: 'games' });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/does not publish snapshots/);
  });
});
