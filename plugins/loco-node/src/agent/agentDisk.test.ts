import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RegistryClient } from '../oci/RegistryClient';
import { pushSnapshot } from '../oci/snapshotArtifact';
import {
  freePort,
  startTestRegistry,
  type TestRegistry,
} from '../oci/__testUtils__/testRegistry';
import { tryPrepareDisk, type SnapshotSource } from './agentDisk';
import { AgentProcess, DEMO_DISK } from './__testUtils__/agentProcess';
import { makeRamSnapshotDisk } from '../local/__testUtils__/ramSnapshotDisk';

jest.setTimeout(60_000);

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loco-agent-disk-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const never = new AbortController().signal;
const NO_RAM = { ramSnapshot: null, memoryMb: null };

function backingOf(disk: string): string | undefined {
  return JSON.parse(
    execFileSync('qemu-img', ['info', '-U', '--output=json', disk], {
      encoding: 'utf8',
    }),
  )['backing-filename'];
}

describe('tryPrepareDisk with a snapshot tag (real registry)', () => {
  let registry: TestRegistry;
  let other: Buffer;
  beforeAll(async () => {
    registry = await startTestRegistry();
    const client = new RegistryClient(`${registry.host}/loco/snapshots`);
    await pushSnapshot(client, 'win98-base', DEMO_DISK, NO_RAM);
    const otherFile = path.join(os.tmpdir(), `loco-games-${process.pid}.qcow2`);
    other = randomBytes(3 * 1024 * 1024);
    fs.writeFileSync(otherFile, other);
    await pushSnapshot(client, 'games', otherFile, NO_RAM);
    fs.rmSync(otherFile);
  });
  afterAll(() => registry.stop());

  const source = (tag: string, more: Partial<SnapshotSource> = {}) => ({
    tag,
    registry: `${registry.host}/loco/snapshots`,
    registryConfig: null,
    ...more,
  });

  it('pulls the tag with its progress as health reasons, and records where the disk came from', async () => {
    const disk = path.join(dir, 'volume', 'disk.qcow2');
    const seen: string[] = [];
    const result = await tryPrepareDisk(
      { path: disk, overlayOn: null },
      source('win98-base'),
      what => seen.push(what),
      never,
    );
    expect(result).toEqual({ ready: true });
    expect(seen[0]).toBe('pulling win98-base');
    expect(seen.at(-1)).toBe('pulling win98-base 100 %');
    for (const line of seen)
      expect(line).toMatch(/^pulling win98-base( \d{1,3} %)?$/);
    expect(fs.readFileSync(disk).equals(fs.readFileSync(DEMO_DISK))).toBe(true);
    expect(fs.readdirSync(path.dirname(disk)).sort()).toEqual([
      '.loco-disk-source',
      'disk.qcow2',
    ]);
    expect(
      fs.readFileSync(path.join(dir, 'volume', '.loco-disk-source'), 'utf8'),
    ).toBe(`snapshot ${registry.host}/loco/snapshots:win98-base\n`);
  });

  it('replaces the disk when the tag changes, keeping the previous one; the same tag pulls nothing', async () => {
    const disk = path.join(dir, 'disk.qcow2');
    const spec = { path: disk, overlayOn: null };
    await tryPrepareDisk(spec, source('win98-base'), () => {}, never);
    const changed = await tryPrepareDisk(
      spec,
      source('games'),
      () => {},
      never,
    );
    expect(changed).toEqual({ ready: true });
    expect(fs.readFileSync(disk).equals(other)).toBe(true);
    expect(
      fs.readFileSync(`${disk}.previous`).equals(fs.readFileSync(DEMO_DISK)),
    ).toBe(true);

    const seen: string[] = [];
    expect(
      await tryPrepareDisk(spec, source('games'), w => seen.push(w), never),
    ).toEqual({
      ready: true,
    });
    expect(seen).toEqual([]);
  });

  it('keeps a disk of unknown origin (it may hold the only game state)', async () => {
    const disk = path.join(dir, 'disk.qcow2');
    fs.writeFileSync(disk, 'a disk someone put here');
    const seen: string[] = [];
    expect(
      await tryPrepareDisk(
        { path: disk, overlayOn: null },
        source('games'),
        w => seen.push(w),
        never,
      ),
    ).toEqual({ ready: true });
    expect(seen).toEqual([]);
    expect(fs.readFileSync(disk, 'utf8')).toBe('a disk someone put here');
  });

  it('rejects a corrupted blob by its digest and leaves nothing behind (fallback fail)', async () => {
    const corruptible = randomBytes(1024 * 1024);
    const file = path.join(dir, 'corruptible');
    fs.writeFileSync(file, corruptible);
    const client = new RegistryClient(`${registry.host}/loco/corrupt`);
    await pushSnapshot(client, 'broken', file, NO_RAM);
    fs.rmSync(file);
    const { manifest } = await client.getManifest('broken');
    const stored = registry.blobFile(manifest.layers[0].digest);
    const bytes = fs.readFileSync(stored);
    bytes[100] ^= 0xff;
    fs.writeFileSync(stored, bytes);

    const disk = path.join(dir, 'disk.qcow2');
    const result = await tryPrepareDisk(
      { path: disk, overlayOn: null },
      {
        ...source('broken'),
        registry: `${registry.host}/loco/corrupt`,
        fallback: 'fail',
      },
      () => {},
      never,
    );
    expect(result).toEqual({
      ready: false,
      reason: expect.stringMatching(
        /^pull failed: blob sha256:[a-f0-9]{64} is corrupt/,
      ),
    });
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('builtin fallback: an unreachable registry boots the built-in disk, and the next start pulls', async () => {
    const port = await freePort();
    const disk = path.join(dir, 'disk.qcow2');
    const spec = { path: disk, overlayOn: null };
    const down = await tryPrepareDisk(
      spec,
      {
        ...source('win98-base'),
        registry: `127.0.0.1:${port}/loco/snapshots`,
        builtinDisk: DEMO_DISK,
      },
      () => {},
      never,
    );
    expect(down).toEqual({
      ready: true,
      notice: expect.stringMatching(
        new RegExp(
          `^pull failed: cannot reach registry 127.0.0.1:${port}: .*; booting the image's built-in disk instead$`,
        ),
      ),
    });
    expect(backingOf(disk)).toBe(DEMO_DISK);

    expect(
      await tryPrepareDisk(spec, source('win98-base'), () => {}, never),
    ).toEqual({
      ready: true,
    });
    expect(backingOf(disk)).toBeUndefined();
    expect(backingOf(`${disk}.previous`)).toBe(DEMO_DISK);
  });
});

describe('tryPrepareDisk with a private registry', () => {
  let registry: TestRegistry;
  beforeAll(async () => {
    registry = await startTestRegistry({
      auth: 'htpasswd',
      users: { puller: 'secret' },
    });
    await pushSnapshot(
      new RegistryClient(`${registry.host}/loco/snapshots`, {
        credentials: { username: 'puller', password: 'secret' },
      }),
      'games',
      DEMO_DISK,
      NO_RAM,
    );
  });
  afterAll(() => registry.stop());

  it('fail: without credentials it stays down with the 401, and pulls with the mounted dockerconfigjson', async () => {
    const disk = path.join(dir, 'disk.qcow2');
    const snapshot: SnapshotSource = {
      tag: 'games',
      registry: `${registry.host}/loco/snapshots`,
      registryConfig: null,
      fallback: 'fail',
      builtinDisk: DEMO_DISK,
    };
    expect(
      await tryPrepareDisk(
        { path: disk, overlayOn: null },
        snapshot,
        () => {},
        never,
      ),
    ).toEqual({
      ready: false,
      reason: `pull failed: 401 from registry ${registry.host}: it needs a username and password and none are configured`,
    });
    expect(fs.readdirSync(dir)).toEqual([]);

    const config = path.join(dir, 'config.json');
    fs.writeFileSync(
      config,
      JSON.stringify({
        auths: {
          [registry.host]: {
            auth: Buffer.from('puller:secret').toString('base64'),
          },
        },
      }),
    );
    expect(
      await tryPrepareDisk(
        { path: disk, overlayOn: null },
        { ...snapshot, registryConfig: config },
        () => {},
        never,
      ),
    ).toEqual({ ready: true });
    expect(fs.readFileSync(disk).equals(fs.readFileSync(DEMO_DISK))).toBe(true);
  });
});

describe('tryPrepareDisk without a snapshot tag', () => {
  it('without LOCO_DISK: an overlay on the built-in disk, which is never written', async () => {
    const disk = path.join(dir, 'run', 'disk.qcow2');
    const before = fs.statSync(DEMO_DISK).mtimeMs;
    const result = await tryPrepareDisk(
      { path: disk, overlayOn: DEMO_DISK },
      null,
      () => {},
      never,
    );
    expect(result).toEqual({ ready: true });
    expect(backingOf(disk)).toBe(DEMO_DISK);
    expect(fs.statSync(DEMO_DISK).mtimeMs).toBe(before);
  });

  it('says what is missing when there is nothing to boot', async () => {
    const nothing = await tryPrepareDisk(
      { path: path.join(dir, 'disk.qcow2'), overlayOn: null },
      null,
      () => {},
      never,
    );
    expect(nothing).toEqual({
      ready: false,
      reason: expect.stringMatching(
        /^no disk at .*, and no snapshot to download/,
      ),
    });
  });
});

describe('the emulator agent with a snapshot tag (real agent process, registry and QEMU)', () => {
  let registry: TestRegistry;
  let privateRegistry: TestRegistry;
  let agent: AgentProcess | undefined;
  beforeAll(async () => {
    registry = await startTestRegistry();
    privateRegistry = await startTestRegistry({
      auth: 'htpasswd',
      users: { u: 'p' },
    });
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'loco-agent-snap-'));
    try {
      // Published the way Loco publishes: the RAM snapshot named after the tag.
      const games = path.join(work, 'games.qcow2');
      await makeRamSnapshotDisk(DEMO_DISK, games, 'games');
      await pushSnapshot(
        new RegistryClient(`${registry.host}/loco/snapshots`),
        'games',
        games,
        {
          ramSnapshot: 'games',
          memoryMb: 128,
        },
      );
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  });
  afterEach(async () => {
    await agent?.kill();
    agent = undefined;
  });
  afterAll(async () => {
    await registry?.stop();
    await privateRegistry?.stop();
  });

  const env = (more: Record<string, string>) => ({
    LOCO_ENV: 'agent-pull',
    LOCO_DISK: path.join(dir, 'volume', 'disk.qcow2'),
    LOCO_RUN_DIR: path.join(dir, 'run'),
    LOCO_RETRY_SECONDS: '1',
    LOCO_STOP_TIMEOUT: '5',
    LOCO_PROBE_INTERVAL_MS: '1000',
    LOCO_AGENT_TOKEN_FILE: path.join(dir, 'no-token'),
    LOCO_SNAPSHOT_TAG: 'games',
    ...more,
  });

  it('pulls its tag and resumes from the RAM state inside it', async () => {
    agent = await AgentProcess.start(
      env({ LOCO_SNAPSHOT_REGISTRY: `${registry.host}/loco/snapshots` }),
    );
    const running = await agent.waitForHealth(
      'resumed from the pulled snapshot',
      h => h.facts.processAlive,
      60_000,
    );
    expect(running.facts.bootMode).toBe('snapshot');
    expect(agent.log()).toMatch(/pulling games \d+ %/);
  });

  it('fallback fail: stays down and says the registry refused it', async () => {
    agent = await AgentProcess.start(
      env({
        LOCO_SNAPSHOT_REGISTRY: `${privateRegistry.host}/loco/snapshots`,
        LOCO_SNAPSHOT_FALLBACK: 'fail',
      }),
    );
    const down = await agent.waitForHealth(
      'the refused pull reported',
      h => h.reasons.length > 1,
      20_000,
    );
    expect(down.state).toBe('unhealthy');
    expect(down.reasons[1]).toBe(
      `pull failed: 401 from registry ${privateRegistry.host}: it needs a username and password and none are configured; retrying every 1s`,
    );
    expect((await agent.fetch('/ready')).status).toBe(503);
  });

  it("fallback builtin (the default): boots the image's own disk and says why", async () => {
    agent = await AgentProcess.start(
      env({
        LOCO_SNAPSHOT_REGISTRY: `${privateRegistry.host}/loco/snapshots`,
        LOCO_BUILTIN_DISK: DEMO_DISK,
      }),
    );
    const up = await agent.waitForHealth(
      'booted the built-in disk',
      h => h.facts.processAlive,
      30_000,
    );
    expect(up.reasons).toContain(
      `pull failed: 401 from registry ${privateRegistry.host}: it needs a username and password and none are configured; booting the image's built-in disk instead`,
    );
    expect(backingOf(path.join(dir, 'volume', 'disk.qcow2'))).toBe(DEMO_DISK);
  });
});
