// Talking to the entrypoint's health server (emulator-image/health_server.py)
// over real HTTP, and running the entrypoint itself with real QEMU.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { InstanceHealth } from '../../../plugins/loco-common/src/health.ts';
import { buildDemoDisk, ENTRYPOINT, REPO, Vm } from './vm.ts';

export interface HttpReply<T> {
  status: number;
  body: T;
}

export async function getHealth(
  port: number,
): Promise<HttpReply<InstanceHealth>> {
  const response = await fetch(`http://127.0.0.1:${port}/health`);
  return {
    status: response.status,
    body: (await response.json()) as InstanceHealth,
  };
}

export async function getText(
  port: number,
  path: string,
): Promise<HttpReply<string>> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: response.status, body: await response.text() };
}

/**
 * Polls GET /health until `ready` accepts it. Fails with the last answer, or
 * at once when the entrypoint exits (its log is in the error).
 */
export async function waitForHealth(
  vm: Vm,
  port: number,
  what: string,
  ready: (reply: HttpReply<InstanceHealth>) => boolean,
  timeoutMs: number,
): Promise<HttpReply<InstanceHealth>> {
  const deadline = Date.now() + timeoutMs;
  let last: HttpReply<InstanceHealth> | string = 'no answer yet';
  while (Date.now() < deadline) {
    if (vm.process.exitCode !== null || vm.process.signalCode !== null) {
      throw new Error(
        `entrypoint exited while waiting for ${what}:\n${await vm.log()}`,
      );
    }
    try {
      last = await getHealth(port);
      if (ready(last)) return last;
    } catch (error) {
      last = String(error); // not listening yet
    }
    await sleep(500);
  }
  throw new Error(
    `timed out waiting for ${what}; last /health: ${JSON.stringify(
      last,
    )}\n${await vm.log()}`,
  );
}

/** The demo disk (built by scripts/prepare.sh, or here into the shared cache). */
export function demoDisk(scratchDir: string): string {
  const prepared = join(REPO, '.cache/images/loco-demo.qcow2');
  if (existsSync(prepared)) return prepared;
  const built = join(scratchDir, 'base.qcow2');
  buildDemoDisk(built);
  return built;
}

/** Runs entrypoint.sh (QEMU, health server) in its own process group. */
export function startEntrypoint(
  runDir: string,
  env: Record<string, string | undefined>,
): Promise<Vm> {
  return Vm.startNoQmp(['bash', ENTRYPOINT], runDir, env);
}

/** key=value lines of RUN_DIR/status, written by the entrypoint. */
export function parseStatus(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .split('\n')
      .filter(line => line.includes('='))
      .map(line => [
        line.slice(0, line.indexOf('=')),
        line.slice(line.indexOf('=') + 1),
      ]),
  );
}
