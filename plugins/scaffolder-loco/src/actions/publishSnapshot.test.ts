import { InputError, NotAllowedError } from '@backstage/errors';
import { createFakeHelm, FakeHelm } from '../__testUtils__/fakeHelm';
import { makeContext, makeDeps } from '../__testUtils__/setup';
import { AUDIT_EVENTS } from './audit';
import { publishLocoSnapshotAction } from './publishSnapshot';

// The real publish (QEMU, registry) is tested in plugin-loco-node's
// LocalRuntime.registry.test.ts; here, what the action adds: input rules,
// the permission, the runtime that holds the environment, outputs, audit.
jest.setTimeout(30_000);

let helm: FakeHelm;
beforeEach(() => {
  helm = createFakeHelm();
});
afterEach(() => helm.cleanup());

const DIGEST = `sha256:${'ab'.repeat(32)}`;

/** makeDeps with a local environment whose runtime records publishes (a test double). */
async function withEnvironment(options: { deny?: boolean } = {}) {
  const made = makeDeps(helm, options);
  await made.local.createEnvironment({
    name: 'loco-builder',
    instances: 2,
    storageMode: 'persistent',
  });
  const published: string[] = [];
  Object.assign(made.local, {
    async publishSnapshot(environment: string, index: number, tag: string) {
      published.push(`${environment}/${index} as ${tag}`);
      return { tag, digest: DIGEST };
    },
  });
  return { ...made, published };
}

describe('loco:snapshot:publish', () => {
  it('publishes the instance through the runtime that holds it, with tag and digest as outputs', async () => {
    const { deps, published, auditor } = await withEnvironment();
    const ctx = makeContext({ name: 'loco-builder', index: 1, tag: 'games' });
    await publishLocoSnapshotAction(deps).handler(ctx);
    expect(published).toEqual(['loco-builder/1 as games']);
    expect(ctx.output).toHaveBeenCalledWith('tag', 'games');
    expect(ctx.output).toHaveBeenCalledWith('digest', DIGEST);
    expect(auditor.createEvent).toHaveBeenCalledWith(
      expect.objectContaining({
        eventId: AUDIT_EVENTS.publish,
        meta: expect.objectContaining({
          environment: 'loco-builder',
          instance: 1,
          snapshotTag: 'games',
          actor: 'user:default/alice',
        }),
      }),
    );
  });

  it('needs loco.environment.manage', async () => {
    const { deps, published } = await withEnvironment({ deny: true });
    await expect(
      publishLocoSnapshotAction(deps).handler(
        makeContext({ name: 'loco-builder', index: 0, tag: 'games' }),
      ),
    ).rejects.toThrow(
      new NotAllowedError('Missing permission loco.environment.manage'),
    );
    expect(published).toEqual([]);
  });

  it.each([
    ['a tag the emulators would refuse', { index: 0, tag: '-games' }],
    ['an instance beyond the largest environment', { index: 32, tag: 'games' }],
    ['no tag', { index: 0 }],
  ])('refuses %s before anything runs', async (_, input) => {
    const { deps, published } = await withEnvironment();
    await expect(
      publishLocoSnapshotAction(deps).handler(
        makeContext({ name: 'loco-builder', ...input }),
      ),
    ).rejects.toThrow(InputError);
    expect(published).toEqual([]);
  });

  it('says so when the runtime (a test double without publishing) cannot publish', async () => {
    const { deps, local } = makeDeps(helm);
    await local.createEnvironment({
      name: 'loco-builder',
      instances: 1,
      storageMode: 'ephemeral',
    });
    await expect(
      publishLocoSnapshotAction(deps).handler(
        makeContext({ name: 'loco-builder', index: 0, tag: 'games' }),
      ),
    ).rejects.toThrow(
      'Environment loco-builder runs on a local runtime that does not publish snapshots',
    );
  });
});
