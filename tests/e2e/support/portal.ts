import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './freePort.ts';

export const ROOT = path.resolve(import.meta.dirname, '../../..');

export interface RunningPortal {
  baseUrl: string;
  /** The backend's process id (its QEMU children hang below it); a restart changes it. */
  pid: number;
  /** Stops the backend and starts it again on the same port with the same config and database. */
  restart(): Promise<void>;
  stop(): Promise<void>;
  logs(): string;
}

/** What an e2e file's own portal runs as: the test file's name, or the name given. */
function portalName(name?: string): string {
  return name ?? path.basename(process.argv[1] ?? 'e2e').replace(/\..*$/, '');
}

/**
 * Starts the real portal backend (which serves the built app) the way
 * `npm start` does, apart from a developer's running portal: on a free port
 * and with its own state directory (`.loco/e2e-<name>`, kept between runs so
 * persistent disks keep their boot snapshots), so its environments get LANs
 * of their own too (local LANs are scoped per state directory). With
 * `fileDatabase`, the backend's SQLite lives in files (a fresh temporary
 * directory, removed by stop) instead of memory, so it outlives a restart.
 */
export async function startPortal(
  options: {
    name?: string;
    extraConfig?: string[];
    fileDatabase?: boolean;
  } = {},
): Promise<RunningPortal> {
  const name = portalName(options.name);
  const databaseDir = options.fileDatabase
    ? await fs.mkdtemp(path.join(os.tmpdir(), `loco-e2e-${name}-db-`))
    : undefined;
  // A port taken between freePort() and the backend's listen: another one.
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    try {
      return await launchPortal(
        port,
        name,
        options.extraConfig ?? [],
        databaseDir,
      );
    } catch (error) {
      if (!(error instanceof PortTaken) || attempt === 3) {
        if (databaseDir) await fs.rm(databaseDir, { recursive: true });
        throw error;
      }
    }
  }
}

class PortTaken extends Error {}

interface Backend {
  child: ChildProcess;
  exited: Promise<void>;
  output(): string;
}

async function launchPortal(
  port: number,
  name: string,
  extraConfig: string[],
  databaseDir: string | undefined,
): Promise<RunningPortal> {
  const baseUrl = `http://localhost:${port}`;
  const overrides = {
    app: { baseUrl },
    backend: {
      baseUrl,
      listen: { port },
      cors: { origin: baseUrl },
      ...(databaseDir && {
        database: {
          client: 'better-sqlite3',
          connection: { directory: databaseDir },
        },
      }),
    },
    loco: { local: { stateDir: `../../.loco/e2e-${name}` } },
  };
  // JSON is YAML: the overrides go in as one more --config file.
  const overridesFile = path.join(os.tmpdir(), `loco-e2e-${name}-${port}.json`);
  await fs.writeFile(overridesFile, JSON.stringify(overrides));
  const configs = [overridesFile, ...extraConfig];
  let backend = await spawnBackend(baseUrl, configs).catch(async error => {
    await fs.rm(overridesFile, { force: true });
    throw error;
  });
  const stopBackend = async () => {
    backend.child.kill('SIGTERM');
    await Promise.race([backend.exited, sleep(20_000)]);
    if (backend.child.exitCode === null) backend.child.kill('SIGKILL');
    await backend.exited;
  };
  const portal: RunningPortal = {
    baseUrl,
    pid: backend.child.pid!,
    logs: () => backend.output(),
    async restart() {
      await stopBackend();
      backend = await spawnBackend(baseUrl, configs);
      portal.pid = backend.child.pid!;
    },
    async stop() {
      await stopBackend();
      await fs.rm(overridesFile, { force: true });
      if (databaseDir) await fs.rm(databaseDir, { recursive: true });
    },
  };
  return portal;
}

/** Runs `src/index.ts` with app-config.yaml and `configs`, and waits until it is ready. */
async function spawnBackend(
  baseUrl: string,
  configs: string[],
): Promise<Backend> {
  const child: ChildProcess = spawn(
    process.execPath,
    [
      '--require',
      '@backstage/cli-node/config/nodeTransform.cjs',
      'src/index.ts',
      '--config',
      '../../app-config.yaml',
      ...configs.flatMap(c => ['--config', c]),
    ],
    {
      cwd: path.join(ROOT, 'packages/backend'),
      env: process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout?.on('data', d => (output = (output + d).slice(-20000)));
  child.stderr?.on('data', d => (output = (output + d).slice(-20000)));
  const exited = new Promise<void>(resolve =>
    child.once('exit', () => resolve()),
  );

  // A busy two-core machine can take minutes; a backend that never gets ready is
  // killed here, because no caller gets a handle to stop it.
  const deadline = Date.now() + 300_000;
  for (;;) {
    // Backstage logs a taken port and keeps running without listening.
    if (/EADDRINUSE/.test(output)) {
      child.kill('SIGKILL');
      await exited;
      throw new PortTaken(`${baseUrl}: port taken`);
    }
    if (child.exitCode !== null)
      throw new Error(`backend exited early:\n${output}`);
    // Bounded: whatever holds a taken port may never answer.
    if (await backendReady(baseUrl)) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`backend not ready in time:\n${output}`);
    }
    await sleep(500);
  }
  return { child, exited, output: () => output };
}

/** A guest user's Backstage token, as the sign-in page would get it. */
export async function guestToken(baseUrl: string): Promise<string> {
  const response = await fetch(`${baseUrl}/api/auth/guest/refresh`, {
    headers: { 'X-Requested-With': 'XMLHttpRequest' },
  });
  if (!response.ok) throw new Error(`guest sign-in failed: ${response.status}`);
  const body = (await response.json()) as {
    backstageIdentity: { token: string };
  };
  return body.backstageIdentity.token;
}

/** One bounded look at a backend's readiness endpoint (false while it cannot answer). */
export function backendReady(baseUrl: string): Promise<boolean> {
  return fetch(`${baseUrl}/.backstage/health/v1/readiness`, {
    signal: AbortSignal.timeout(5_000),
  }).then(
    r => r.ok,
    () => false,
  );
}
