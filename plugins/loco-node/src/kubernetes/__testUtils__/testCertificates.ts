import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * TEST DATA: a certificate authority made for one test run (openssl CLI, with
 * argument arrays) and an API server certificate it signed for 127.0.0.1, as a
 * cluster's CA signs kube-apiserver's serving certificate. Nothing is reused
 * across runs; `dir` holds `ca.crt` for `caFile` and is removed by `dispose`.
 */
export interface TestCertificates {
  dir: string;
  caFile: string;
  caPem: string;
  /** The server certificate and key, for `https.createServer`. */
  cert: string;
  key: string;
  dispose(): void;
}

export function makeTestCertificates(): TestCertificates {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loco-test-ca-'));
  const file = (name: string) => path.join(dir, name);
  const openssl = (args: string[]) =>
    execFileSync('openssl', args, {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  openssl([
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=loco-test-cluster-ca',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
    '-keyout',
    file('ca.key'),
    '-out',
    file('ca.crt'),
  ]);
  openssl([
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-subj',
    '/CN=kube-apiserver',
    '-keyout',
    file('server.key'),
    '-out',
    file('server.csr'),
  ]);
  fs.writeFileSync(
    file('server.ext'),
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n',
  );
  openssl([
    'x509',
    '-req',
    '-in',
    file('server.csr'),
    '-days',
    '1',
    '-CA',
    file('ca.crt'),
    '-CAkey',
    file('ca.key'),
    '-CAcreateserial',
    '-extfile',
    file('server.ext'),
    '-out',
    file('server.crt'),
  ]);
  return {
    dir,
    caFile: file('ca.crt'),
    caPem: fs.readFileSync(file('ca.crt'), 'utf8'),
    cert: fs.readFileSync(file('server.crt'), 'utf8'),
    key: fs.readFileSync(file('server.key'), 'utf8'),
    dispose: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}
