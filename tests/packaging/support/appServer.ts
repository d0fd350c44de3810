// Runs a generated app the way tests/e2e runs ours: the frontend built once
// into packages/app/dist (served by the app-backend plugin), the backend from
// its sources through Backstage's Node transform, one process on a free port.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../../e2e/support/freePort.ts';
import { backendReady } from '../../e2e/support/portal.ts';
import { run } from './packWorkspaces.ts';
import { DEMO_DISK, LOCO_CONFIG } from './wireApp.ts';

/**
 * `backstage-cli package build` of the app, skipped when dist/ exists: the
 * run copy is new whenever the tarballs or READMEs change (realApp.runApp).
 */
export function buildFrontend(dir: string) {
  const app = path.join(dir, 'packages/app');
  if (fs.existsSync(path.join(app, 'dist/index.html'))) return;
  run('npx', ['backstage-cli', 'package', 'build'], { cwd: app });
}

export interface RunningApp {
  baseUrl: string;
  logs(): string;
  stop(): Promise<void>;
}

/** Starts the backend with the app's config, the README's and this run's. */
export async function startApp(dir: string): Promise<RunningApp> {
  const port = await freePort();
  const baseUrl = `http://localhost:${port}`;
  // Only what differs on this machine: the address and the demo disk path.
  const local = path.join(dir, 'app-config.test.json');
  fs.writeFileSync(
    local,
    JSON.stringify({
      app: { baseUrl },
      backend: { baseUrl, listen: { port }, cors: { origin: baseUrl } },
      loco: { local: { images: { demo: { path: DEMO_DISK } } } },
    }),
  );
  const child: ChildProcess = spawn(
    process.execPath,
    [
      '--require',
      '@backstage/cli-node/config/nodeTransform.cjs',
      'src/index.ts',
      ...['app-config.yaml', LOCO_CONFIG, 'app-config.test.json'].flatMap(f => [
        '--config',
        `../../${f}`,
      ]),
    ],
    {
      cwd: path.join(dir, 'packages/backend'),
      // What the app's own `yarn start` (backstage-cli) sets; the generated
      // config's guest sign-in works in development only.
      env: { ...process.env, NODE_ENV: 'development' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout?.on('data', d => (output = (output + d).slice(-40000)));
  child.stderr?.on('data', d => (output = (output + d).slice(-40000)));
  const exited = new Promise<void>(resolve =>
    child.once('exit', () => resolve()),
  );
  const stop = async () => {
    child.kill('SIGTERM');
    await Promise.race([exited, sleep(20_000)]);
    if (child.exitCode === null) child.kill('SIGKILL');
    await exited;
  };

  // Bounded wait for readiness; a backend that never gets ready is stopped here.
  const deadline = Date.now() + 300_000;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`backend exited early:\n${output}`);
    if (await backendReady(baseUrl)) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`backend not ready in time:\n${output}`);
    }
    await sleep(500);
  }
  return { baseUrl, logs: () => output, stop };
}
