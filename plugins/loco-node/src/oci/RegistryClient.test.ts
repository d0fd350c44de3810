import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { downloadBlob } from './blobDownload';
import { credentialsFromDockerConfig } from './dockerConfig';
import { uploadBlob } from './blobUpload';
import { OCI_EMPTY, OCI_MANIFEST } from './manifest';
import { OciDigestError, OciError } from './ociErrors';
import { RegistryClient } from './RegistryClient';
import {
  pullSnapshot,
  pushSnapshot,
  SNAPSHOT_ARTIFACT_TYPE,
  type SnapshotProgress,
} from './snapshotArtifact';
import { startCuttingProxy } from './__testUtils__/cuttingProxy';
import {
  startTestRegistry,
  type TestRegistry,
} from './__testUtils__/testRegistry';

jest.setTimeout(60_000);

const CONFIG = { ramSnapshot: 'loco-saved', memoryMb: 128 };
let work: string;
let disk: string;
let diskBytes: Buffer;

beforeAll(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'loco-oci-test-'));
  disk = path.join(work, 'source.qcow2');
  diskBytes = randomBytes(6 * 1024 * 1024 + 123);
  await fs.writeFile(disk, diskBytes);
});
afterAll(() => fs.rm(work, { recursive: true, force: true }));

async function exists(file: string) {
  return fs.stat(file).then(
    () => true,
    () => false,
  );
}

describe('against an anonymous registry', () => {
  let registry: TestRegistry;
  beforeAll(async () => {
    registry = await startTestRegistry();
  });
  afterAll(() => registry.stop());

  it('publishes a snapshot and pulls it back byte for byte, with progress and its tag listed', async () => {
    const client = new RegistryClient(`${registry.host}/loco/snapshots`);
    const pushed: SnapshotProgress[] = [];
    const digest = await pushSnapshot(client, 'games', disk, CONFIG, {
      chunkSize: 1024 * 1024, // chunked upload (PATCH + PUT)
      onProgress: p => pushed.push(p),
    });
    expect(digest).toMatch(/^sha256:[a-f0-9]{64}$/);
    expect(pushed.at(-1)?.percent).toBe(100);

    const target = path.join(work, 'anon.qcow2');
    const pulled: SnapshotProgress[] = [];
    const result = await pullSnapshot(
      new RegistryClient(`${registry.host}/loco/snapshots`),
      'games',
      target,
      { onProgress: p => pulled.push(p) },
    );
    expect(result).toEqual({ digest, config: CONFIG });
    expect((await fs.readFile(target)).equals(diskBytes)).toBe(true);
    expect(pulled.at(-1)).toMatchObject({
      percent: 100,
      done: diskBytes.length,
    });
    expect(await client.listTags()).toEqual(['games']);
  });

  it('keeps the artifact type and uploads in one PUT when no chunk size is given', async () => {
    const client = new RegistryClient(`${registry.host}/loco/mono`);
    await pushSnapshot(client, 'win98-base', disk, {
      ramSnapshot: null,
      memoryMb: null,
    });
    const { manifest } = await client.getManifest('win98-base');
    expect(manifest.artifactType).toBe(SNAPSHOT_ARTIFACT_TYPE);
    expect(manifest.layers).toHaveLength(1);
    expect(manifest.layers[0].size).toBe(diskBytes.length);
  });

  it('lists tags of a repository that has none as empty, and names a missing tag', async () => {
    const client = new RegistryClient(`${registry.host}/loco/nothing-here`);
    expect(await client.listTags()).toEqual([]);
    await expect(client.getManifest('games')).rejects.toThrow(
      /404 from registry .*manifest games.*(MANIFEST_UNKNOWN|NAME_UNKNOWN)/,
    );
  });

  it('refuses an artifact that is not a Loco snapshot', async () => {
    const client = new RegistryClient(`${registry.host}/loco/other`);
    const config = await uploadBlob(client, { data: Buffer.from('{}') });
    const layer = await uploadBlob(client, { data: Buffer.from('hello') });
    await client.putManifest('v1', {
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      artifactType: 'application/vnd.example.thing',
      config: { mediaType: OCI_EMPTY, ...config },
      layers: [{ mediaType: 'text/plain', ...layer }],
    });
    await expect(
      pullSnapshot(client, 'v1', path.join(work, 'other.qcow2')),
    ).rejects.toThrow(
      /is not a Loco snapshot \(artifact type application\/vnd.example.thing\)/,
    );
  });

  it('rejects a blob corrupted in the registry and leaves nothing behind', async () => {
    // Its own bytes: the registry stores blobs by digest, shared by every repository.
    const own = path.join(work, 'corruptible.qcow2');
    const ownBytes = randomBytes(1024 * 1024);
    await fs.writeFile(own, ownBytes);
    const client = new RegistryClient(`${registry.host}/loco/corrupt`);
    await pushSnapshot(client, 'games', own, CONFIG);
    const { manifest } = await client.getManifest('games');
    const stored = registry.blobFile(manifest.layers[0].digest);
    const bytes = await fs.readFile(stored);
    bytes[4096] ^= 0xff; // one flipped byte, same length
    await fs.writeFile(stored, bytes);

    const target = path.join(work, 'corrupt.qcow2');
    const pull = pullSnapshot(client, 'games', target);
    await expect(pull).rejects.toBeInstanceOf(OciDigestError);
    await expect(pull).rejects.toThrow(/is corrupt .*deleted/);
    expect(await exists(target)).toBe(false);
    expect(await exists(`${target}.partial`)).toBe(false);
  });

  it('resumes a download that was cut, asking only for the missing bytes', async () => {
    const client = new RegistryClient(`${registry.host}/loco/resume`);
    await pushSnapshot(client, 'games', disk, CONFIG);
    const { manifest } = await client.getManifest('games');
    const proxy = await startCuttingProxy(registry.host);
    try {
      const viaProxy = new RegistryClient(`${proxy.host}/loco/resume`);
      const target = path.join(work, 'resumed.qcow2');
      proxy.cutNextBlobAfter(2 * 1024 * 1024);
      await expect(
        downloadBlob(viaProxy, manifest.layers[0], target),
      ).rejects.toThrow(/broke off.*the next attempt resumes/);
      const kept = (await fs.stat(`${target}.partial`)).size;
      expect(kept).toBeGreaterThan(0);
      expect(kept).toBeLessThan(diskBytes.length);

      await downloadBlob(viaProxy, manifest.layers[0], target);
      expect((await fs.readFile(target)).equals(diskBytes)).toBe(true);
      expect(proxy.seen.at(-1)?.range).toBe(`bytes=${kept}-`);
      expect(await exists(`${target}.partial`)).toBe(false);
    } finally {
      await proxy.stop();
    }
  });
});

describe('against a registry with htpasswd users', () => {
  let registry: TestRegistry;
  beforeAll(async () => {
    registry = await startTestRegistry({
      auth: 'htpasswd',
      users: { alice: 's3cret' },
    });
  });
  afterAll(() => registry.stop());

  it('says credentials are needed when none are configured', async () => {
    const client = new RegistryClient(`${registry.host}/loco/snapshots`);
    const pull = client.getManifest('games');
    await expect(pull).rejects.toMatchObject({ status: 401 });
    await expect(pull).rejects.toThrow(
      `401 from registry ${registry.host}: it needs a username and password and none are configured`,
    );
  });

  it('says the password was refused', async () => {
    const client = new RegistryClient(`${registry.host}/loco/snapshots`, {
      credentials: { username: 'alice', password: 'wrong' },
    });
    await expect(client.listTags()).rejects.toThrow(
      `401 from registry ${registry.host}: it refused user "alice"`,
    );
  });

  it('pushes, lists and pulls with the right password', async () => {
    const client = new RegistryClient(`${registry.host}/loco/snapshots`, {
      credentials: { username: 'alice', password: 's3cret' },
    });
    await pushSnapshot(client, 'productivity', disk, CONFIG);
    expect(await client.listTags()).toEqual(['productivity']);
    const target = path.join(work, 'basic.qcow2');
    await pullSnapshot(client, 'productivity', target);
    expect((await fs.readFile(target)).equals(diskBytes)).toBe(true);
  });
});

describe('credentials from a dockerconfigjson file', () => {
  let registry: TestRegistry;
  beforeAll(async () => {
    registry = await startTestRegistry({
      auth: 'htpasswd',
      users: { carol: 'pw:with:colons' },
    });
  });
  afterAll(() => registry.stop());

  it('reads the auth entry of the registry host (as Kubernetes mounts it) and pushes with it', async () => {
    const file = path.join(work, 'config.json');
    await fs.writeFile(
      file,
      JSON.stringify({
        auths: {
          'other.example': { auth: Buffer.from('x:y').toString('base64') },
          [`https://${registry.host}`]: {
            auth: Buffer.from('carol:pw:with:colons').toString('base64'),
          },
        },
      }),
    );
    const credentials = await credentialsFromDockerConfig(file, registry.host);
    expect(credentials).toEqual({
      username: 'carol',
      password: 'pw:with:colons',
    });
    const client = new RegistryClient(`${registry.host}/loco/snapshots`, {
      credentials,
    });
    await pushSnapshot(client, 'games', disk, CONFIG);
    expect(await client.listTags()).toEqual(['games']);
    expect(
      await credentialsFromDockerConfig(file, 'nowhere.example'),
    ).toBeUndefined();
  });

  it('says when the file is not JSON', async () => {
    const file = path.join(work, 'broken.json');
    await fs.writeFile(file, '{auths');
    await expect(
      credentialsFromDockerConfig(file, registry.host),
    ).rejects.toThrow(
      `cannot read the registry credentials in ${file}: not JSON`,
    );
  });
});

describe('against a registry with token authentication', () => {
  let registry: TestRegistry;
  beforeAll(async () => {
    registry = await startTestRegistry({
      auth: 'token',
      users: { bob: 'pa55' },
    });
  });
  afterAll(() => registry.stop());

  it('refuses anonymous access with a 401 that says so', async () => {
    const client = new RegistryClient(`${registry.host}/loco/snapshots`);
    await expect(client.listTags()).rejects.toThrow(
      new OciError(
        `401 from registry ${registry.host}: it refused anonymous access for repository:loco/snapshots:pull`,
      ),
    );
  });

  it('names the token service when it refuses the password', async () => {
    const client = new RegistryClient(`${registry.host}/loco/snapshots`, {
      credentials: { username: 'bob', password: 'nope' },
    });
    await expect(client.listTags()).rejects.toThrow(
      /^401 from the token service of registry .* for user "bob"$/,
    );
  });

  it('fetches a token from the challenge and round-trips a snapshot', async () => {
    const client = new RegistryClient(`${registry.host}/loco/snapshots`, {
      credentials: { username: 'bob', password: 'pa55' },
    });
    await pushSnapshot(client, 'games', disk, CONFIG);
    const target = path.join(work, 'token.qcow2');
    await pullSnapshot(
      new RegistryClient(`${registry.host}/loco/snapshots`, {
        credentials: { username: 'bob', password: 'pa55' },
      }),
      'games',
      target,
    );
    expect((await fs.readFile(target)).equals(diskBytes)).toBe(true);
    expect(await client.listTags()).toEqual(['games']);
  });
});
