import { execFile } from 'node:child_process';
import {
  createPrivateKey,
  randomUUID,
  sign,
  X509Certificate,
} from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import type net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export interface TestTokenService {
  realm: string;
  service: string;
  issuer: string;
  certFile: string;
  /** Scopes asked for, in order (what clients requested). */
  requests: Array<{ user: string | null; scope: string | null }>;
  stop(): Promise<void>;
}

/**
 * A test double of a registry token service (the distribution "token
 * authentication" spec): GET <realm>?service=..&scope=repository:<name>:<actions>
 * with optional basic auth answers `{"token": <JWT>}`. Known users get the
 * actions they ask for; anonymous callers get a token with no access (as
 * Docker's own service does), so the registry then refuses them. The JWT is
 * RS256, signed by a throw-away key whose self-signed certificate the
 * registry trusts (rootcertbundle) and which rides in the x5c header.
 */
export async function startTestTokenService(
  dir: string,
  users: Record<string, string>,
): Promise<TestTokenService> {
  const keyFile = path.join(dir, 'token.key');
  const certFile = path.join(dir, 'token.crt');
  await execFileAsync('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=loco-test-token-service',
    '-keyout',
    keyFile,
    '-out',
    certFile,
  ]);
  const key = createPrivateKey(await fs.readFile(keyFile));
  const certDer = new X509Certificate(await fs.readFile(certFile)).raw.toString(
    'base64',
  );
  const service = 'loco-test-registry';
  const issuer = 'loco-test-token-service';
  const requests: TestTokenService['requests'] = [];

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://token');
    const user = authenticatedUser(req.headers.authorization, users);
    if (user === false) {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ details: 'incorrect username or password' }));
      return;
    }
    const scope = url.searchParams.get('scope');
    requests.push({ user, scope });
    const access = [];
    const match = scope?.match(/^repository:([^:]+):(.+)$/);
    if (match && user) {
      access.push({
        type: 'repository',
        name: match[1],
        actions: match[2].split(','),
      });
    }
    const now = Math.floor(Date.now() / 1000);
    const token = jwt(
      { typ: 'JWT', alg: 'RS256', x5c: [certDer] },
      {
        iss: issuer,
        sub: user ?? '',
        aud: url.searchParams.get('service') ?? service,
        exp: now + 300,
        nbf: now - 10,
        iat: now,
        jti: randomUUID(),
        access,
      },
      key,
    );
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ token, expires_in: 300 }));
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    realm: `http://127.0.0.1:${port}/token`,
    service,
    issuer,
    certFile,
    requests,
    stop: () => new Promise(resolve => server.close(() => resolve())),
  };
}

/** The user name, null when anonymous, false when the credentials are wrong. */
function authenticatedUser(
  header: string | undefined,
  users: Record<string, string>,
): string | null | false {
  if (!header) return null;
  const decoded = Buffer.from(
    header.replace(/^Basic /, ''),
    'base64',
  ).toString();
  const colon = decoded.indexOf(':');
  const user = decoded.slice(0, colon);
  return users[user] !== undefined && users[user] === decoded.slice(colon + 1)
    ? user
    : false;
}

function jwt(
  header: object,
  payload: object,
  key: ReturnType<typeof createPrivateKey>,
): string {
  const encode = (o: object) =>
    Buffer.from(JSON.stringify(o)).toString('base64url');
  const input = `${encode(header)}.${encode(payload)}`;
  return `${input}.${sign('sha256', Buffer.from(input), key).toString(
    'base64url',
  )}`;
}
