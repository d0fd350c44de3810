/**
 * The real VncGateway in a process of its own for the bench, so its CPU time
 * can be measured alone. Test doubles: a bearer token check instead of
 * Backstage auth, allow-all permissions, and a runtime whose VNC target is the
 * bench's RFB server over TCP or a unix socket. Everything on the data path is
 * production code.
 * Run with the Backstage TS loader:
 *   node --require @backstage/cli-node/config/nodeTransform.cjs gatewayHost.ts PORT TARGET_PORT|TARGET_PATH [native|js]
 */
import http from 'node:http';
import net from 'node:net';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  LocoRuntimes,
  type VncOpenOptions,
} from '@loco-portal/plugin-loco-node';
import { VncGateway } from '../../plugins/loco-backend/src/service/gateway/VncGateway';
import { GATEWAY_DEFAULTS } from '../../plugins/loco-backend/src/service/gateway/gatewayConfig';

const port = Number(process.argv[2]);
// A port number (TCP, like a pod) or a unix socket path (like a local instance).
const target = process.argv[3];
// `js`: the JavaScript relay even where the native splice relay is built.
const relay = process.argv[4] ?? 'native';

const runtime = {
  kind: 'local',
  async listEnvironments() {
    return { items: [{ name: 'bench', instances: [] }], errors: [] };
  },
  // Like the real runtimes' plain-socket connections: honours `onread`.
  async openVnc(_env: string, _index: number, options?: VncOpenOptions) {
    const socket = net.createConnection({
      ...(/^\d+$/.test(target)
        ? { port: Number(target), host: '127.0.0.1' }
        : { path: target }),
      onread: options?.onread,
    });
    socket.setNoDelay(true);
    await new Promise<void>((resolve, reject) =>
      socket.once('connect', resolve).once('error', reject),
    );
    return socket;
  },
} as any;

const noop = () => undefined;
const toStderr = (message: string) => process.stderr.write(`${message}\n`);
// Shown with BENCH_CHUNKS=1.
const logger: any = {
  info: toStderr,
  debug: noop,
  warn: toStderr,
  error: toStderr,
  child: () => logger,
};

const gateway = new VncGateway({
  basePath: '/api/loco',
  allowedOrigin: 'http://localhost:3000',
  runtimes: new LocoRuntimes([runtime]),
  httpAuth: {
    async credentials(req: any) {
      if (req.headers.authorization !== 'Bearer bench-token')
        throw new Error('unauthenticated');
      return {
        $$type: '@backstage/BackstageCredentials',
        principal: { type: 'user', userEntityRef: 'user:default/bench' },
      };
    },
  } as any,
  permissions: {
    async authorize(requests: unknown[]) {
      return requests.map(() => ({ result: AuthorizeResult.ALLOW }));
    },
  } as any,
  logger,
  // The bench measures the relay; audit records cost once per session.
  auditor: {
    async createEvent() {
      return { async success() {}, async fail() {} };
    },
  },
  settings: { ...GATEWAY_DEFAULTS, zeroCopy: relay !== 'js' },
});

const server = http.createServer((_req, res) => res.writeHead(404).end());
gateway.attach(server);
if (relay === 'native' && !gateway.spliceRelay.available) {
  throw new Error(`native relay wanted: ${gateway.spliceRelay.reason}`);
}
server.listen(port, '127.0.0.1', () => process.stdout.write('ready\n'));
process.on('SIGTERM', () => process.exit(0));
