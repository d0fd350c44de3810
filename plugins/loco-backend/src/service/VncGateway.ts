import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type {
  HttpAuthService,
  LoggerService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { locoEnvironmentReadPermission } from '@loco-portal/plugin-loco-common';
import type { LocoRuntimes } from '@loco-portal/plugin-loco-node';
import type { Request, RequestHandler } from 'express';
import { WebSocketServer } from 'ws';
import { instanceParams, VNC_PATH } from './params';
import { bridgeWebSocket } from './bridgeWebSocket';

/** Browsers cannot set headers on WebSockets, so the token rides in a subprotocol. */
export const TOKEN_PROTOCOL_PREFIX = 'backstage-token.';

export interface VncGatewayOptions {
  /** Public path of the plugin, e.g. `/api/loco`. */
  basePath: string;
  runtimes: LocoRuntimes;
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  logger: LoggerService;
}

/**
 * The authenticated WebSocket-to-VNC gateway. Owns one `upgrade` listener on the
 * backend's HTTP server that only answers paths under its own base path, so other
 * plugins' upgrades are left alone.
 */
export class VncGateway {
  private readonly wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    handleProtocols: protocols => (protocols.has('binary') ? 'binary' : false),
  });
  private readonly servers = new WeakSet<Server>();

  constructor(private readonly options: VncGatewayOptions) {}

  /**
   * Express middleware that finds the HTTP server the first time an upgrade
   * request reaches the router (Backstage does not hand plugins the server),
   * subscribes to its upgrades and handles that first request too.
   */
  middleware(): RequestHandler {
    return (req, _res, next) => {
      const server = (req.socket as unknown as { server?: Server }).server;
      if (req.headers.upgrade?.toLowerCase() !== 'websocket' || !server) {
        next();
        return;
      }
      if (!this.servers.has(server)) {
        this.servers.add(server);
        server.on('upgrade', (r, s, h) => void this.handleUpgrade(r, s, h));
      }
      void this.handleUpgrade(req, req.socket, Buffer.alloc(0));
    };
  }

  async handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer) {
    // Inside the express router req.url is relative to the mount point; the
    // original URL is the full path either way.
    const rawUrl = (req as Partial<Request>).originalUrl ?? req.url ?? '/';
    const url = new URL(rawUrl, 'http://localhost');
    if (!url.pathname.startsWith(`${this.options.basePath}/`)) return;
    const match = VNC_PATH.exec(url.pathname.slice(this.options.basePath.length));
    const params = match && instanceParams.safeParse({ env: match[1], index: match[2] });
    if (!params?.success) {
      reject(socket, 404, 'Not Found');
      return;
    }
    const { env, index } = params.data;
    const status = await this.authorize(req);
    if (status !== 200) {
      reject(socket, status, status === 401 ? 'Unauthorized' : 'Forbidden');
      return;
    }
    let target: Duplex;
    try {
      target = await this.options.runtimes.openVnc(env, index);
    } catch (error) {
      this.options.logger.info(`VNC ${env}/${index} unavailable: ${error}`);
      reject(socket, 502, 'Bad Gateway');
      return;
    }
    this.wss.handleUpgrade(req, socket, head, ws => bridgeWebSocket(ws, target));
  }

  private async authorize(req: IncomingMessage): Promise<200 | 401 | 403> {
    const protocols = String(req.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map(p => p.trim());
    const token = protocols.find(p => p.startsWith(TOKEN_PROTOCOL_PREFIX));
    if (token) {
      req.headers.authorization = `Bearer ${token.slice(TOKEN_PROTOCOL_PREFIX.length)}`;
    }
    try {
      const credentials = await this.options.httpAuth.credentials(
        req as Request,
        { allow: ['user'], allowLimitedAccess: true },
      );
      const [decision] = await this.options.permissions.authorize(
        [{ permission: locoEnvironmentReadPermission }],
        { credentials },
      );
      return decision.result === AuthorizeResult.ALLOW ? 200 : 403;
    } catch {
      return 401;
    }
  }
}

/** A plain HTTP answer on a socket that asked to upgrade, then close it. */
function reject(socket: Duplex, status: number, text: string) {
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${text.length}\r\n\r\n${text}`,
  );
  socket.destroy();
}
