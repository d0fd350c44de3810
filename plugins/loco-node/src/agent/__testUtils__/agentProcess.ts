// Test helpers: the real emulator agent, bundled exactly as the image gets it
// (emulator-image/build-agent.mjs) and run as its own process.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const REPO = path.resolve(__dirname, '../../../../..');
/** Built by `scripts/prepare.sh` before the tests run. */
export const DEMO_DISK = path.join(REPO, '.cache/images/loco-demo.qcow2');
export const BANNER_TXT = path.join(
  REPO,
  'emulator-image/demo-disk/guest/banner.txt',
);

let bundle: string | undefined;

/** The agent bundle, built once per test file. */
export function agentBundle(): string {
  if (bundle) return bundle;
  const out = path.join(
    fs.mkdtempSync(path.join(os.tmpdir(), 'loco-agent-bundle-')),
    'loco-agent.cjs',
  );
  const built = spawnSync(
    process.execPath,
    [path.join(REPO, 'emulator-image/build-agent.mjs'), out],
    { encoding: 'utf8' },
  );
  if (built.status !== 0) throw new Error(`bundle failed: ${built.stderr}`);
  bundle = out;
  return out;
}

/** A running agent process and how to reach it. */
export class AgentProcess {
  private output = '';
  readonly exited: Promise<{ code: number | null; signal: string | null }>;

  private constructor(readonly child: ChildProcess, readonly url: string) {
    child.stderr!.on('data', d => {
      this.output += d;
    });
    this.exited = new Promise(resolve =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
  }

  /** Starts the agent on a free port; resolves once it serves. */
  static async start(env: Record<string, string>): Promise<AgentProcess> {
    const port = await freePort();
    const child = spawn(process.execPath, [agentBundle()], {
      env: {
        PATH: process.env.PATH,
        LOCO_AGENT_LISTEN: `127.0.0.1:${port}`,
        ...env,
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const agent = new AgentProcess(child, `http://127.0.0.1:${port}`);
    for (let i = 0; i < 100; i++) {
      if (child.exitCode !== null)
        throw new Error(`agent exited: ${agent.log()}`);
      if (agent.log().includes('serving on port')) return agent;
      await new Promise(r => setTimeout(r, 50));
    }
    throw new Error(`agent did not serve: ${agent.log()}`);
  }

  get port(): number {
    return Number(new URL(this.url).port);
  }

  log(): string {
    return this.output;
  }

  fetch(route: string, init: RequestInit = {}): Promise<Response> {
    return fetch(`${this.url}${route}`, init);
  }

  /** Polls /health until `accept` takes the body (events cannot reach across processes). */
  async waitForHealth(
    what: string,
    accept: (h: any) => boolean,
    timeoutMs: number,
  ): Promise<any> {
    const deadline = Date.now() + timeoutMs;
    let last: any;
    while (Date.now() < deadline) {
      last = await (await this.fetch('/health')).json();
      if (accept(last)) return last;
      await new Promise(r => setTimeout(r, 250));
    }
    throw new Error(
      `${what}: not within ${timeoutMs} ms; last health ${JSON.stringify(
        last,
      )}\n${this.log()}`,
    );
  }

  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
  }
}

/** A TCP port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
