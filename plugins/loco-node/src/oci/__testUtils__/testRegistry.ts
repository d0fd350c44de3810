import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  startTestTokenService,
  type TestTokenService,
} from './testTokenService';

const execFileAsync = promisify(execFile);

export type TestRegistryAuth = 'none' | 'htpasswd' | 'token';

export interface TestRegistry {
  /** host:port on loopback, e.g. 127.0.0.1:40123 */
  host: string;
  /** The registry's filesystem storage (to corrupt a blob in, say). */
  storageDir: string;
  /** Where the registry keeps the bytes of `digest`. */
  blobFile(digest: string): string;
  stop(): Promise<void>;
}

/**
 * A real CNCF distribution registry (Debian's docker-registry) on a free
 * loopback port with its own temporary storage, anonymous, with htpasswd
 * users (bcrypt, made by apache2-utils' htpasswd -B), or with token auth
 * whose token service is a test double following the distribution token
 * spec (testTokenService.ts).
 */
export async function startTestRegistry(
  options: { auth?: TestRegistryAuth; users?: Record<string, string> } = {},
): Promise<TestRegistry> {
  const auth = options.auth ?? 'none';
  const users = options.users ?? {};
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'loco-registry-'));
  const storageDir = path.join(dir, 'storage');
  const port = await freePort();
  let tokenService: TestTokenService | undefined;
  const authLines: string[] = [];
  if (auth === 'htpasswd') {
    const lines: string[] = [];
    for (const [user, password] of Object.entries(users)) {
      const { stdout } = await execFileAsync('htpasswd', [
        '-Bbn',
        user,
        password,
      ]);
      lines.push(stdout.trim());
    }
    await fs.writeFile(path.join(dir, 'htpasswd'), `${lines.join('\n')}\n`);
    authLines.push(
      'auth:',
      '  htpasswd:',
      '    realm: loco-test',
      `    path: ${path.join(dir, 'htpasswd')}`,
    );
  } else if (auth === 'token') {
    tokenService = await startTestTokenService(dir, users);
    authLines.push(
      'auth:',
      '  token:',
      `    realm: ${tokenService.realm}`,
      `    service: ${tokenService.service}`,
      `    issuer: ${tokenService.issuer}`,
      `    rootcertbundle: ${tokenService.certFile}`,
    );
  }
  const config = [
    'version: 0.1',
    'log:',
    '  level: error',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${storageDir}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: 127.0.0.1:${port}`,
    `  secret: loco-test-${port}`,
    ...authLines,
  ].join('\n');
  const configFile = path.join(dir, 'config.yml');
  await fs.writeFile(configFile, `${config}\n`);
  const child = spawn('docker-registry', ['serve', configFile], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr!.on('data', d => {
    log = (log + String(d)).slice(-4000);
  });
  const host = `127.0.0.1:${port}`;
  try {
    await waitForRegistry(host, child, () => log);
  } catch (error) {
    child.kill('SIGKILL');
    await tokenService?.stop();
    await fs.rm(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    host,
    storageDir,
    blobFile: digest => {
      const hex = digest.replace(/^sha256:/, '');
      return path.join(
        storageDir,
        'docker/registry/v2/blobs/sha256',
        hex.slice(0, 2),
        hex,
        'data',
      );
    },
    async stop() {
      const exited = new Promise(resolve => child.once('exit', resolve));
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
      await tokenService?.stop();
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}

async function waitForRegistry(
  host: string,
  child: ChildProcess,
  log: () => string,
): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) {
      throw new Error(`docker-registry exited (${child.exitCode}): ${log()}`);
    }
    const status = await new Promise<number | undefined>(resolve => {
      http
        .get(`http://${host}/v2/`, res => {
          res.resume();
          resolve(res.statusCode);
        })
        .once('error', () => resolve(undefined));
    });
    if (status === 200 || status === 401) return;
    await new Promise(r => setTimeout(r, 50));
  }
  throw new Error(`docker-registry did not answer on ${host}: ${log()}`);
}

/** A loopback port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
