import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type {
  AuditorService,
  HttpAuthService,
  LoggerService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { NotFoundError } from '@backstage/errors';
import type { LocoRuntimes } from '@loco-portal/plugin-loco-node';
import type { Request, RequestHandler } from 'express';
import { WebSocketServer } from 'ws';
import { z } from 'zod';
import { parseAudioPath, parseVncPath } from '../params';
import { AudioRelay } from './audioRelay';
import { authorizeUpgrade } from './authorizeUpgrade';
import { PooledVncReader, ReadBufferPool } from './pooledReads';
import type { GatewaySettings } from './gatewayConfig';
import { SessionAudit } from './sessionAudit';
import { SessionRegistry } from './SessionRegistry';
import {
  emitUpgradesOnlyWhenOwned,
  rejectUpgrade,
  UnownedUpgrades,
} from './strayUpgrades';
import { CLOSE, terminateIfStuck, VncSession } from './VncSession';
import { SplicedBrowserSocket } from './zeroCopy/SplicedBrowserSocket';
import {
  loadSpliceRelay,
  plainSocketFd,
  type SpliceRelaySupport,
} from './zeroCopy/spliceRelay';

export interface VncGatewayOptions {
  /** Public path of the plugin, e.g. `/api/loco`. */
  basePath: string;
  /** Origin browsers must send, from `app.baseUrl`. */
  allowedOrigin: string;
  runtimes: LocoRuntimes;
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  logger: LoggerService;
  auditor: AuditorService;
  settings: GatewaySettings;
  /** How long an upgrade that no listener answers stays open (tests shorten it). */
  unclaimedUpgradeTimeoutMs?: number;
}

/**
 * About 90 ms of sound (S16 stereo 44.1 kHz): a listener further behind
 * misses chunks rather than hearing them late.
 */
const AUDIO_MAX_BUFFERED_BYTES = 16 * 1024;

/** `?viewOnly=true` lets a user with control watch without being able to type. */
const queryParams = z.object({
  viewOnly: z.enum(['true', 'false']).optional(),
});

/**
 * The authenticated WebSocket-to-VNC gateway. Owns one `upgrade` listener on the
 * backend's HTTP server that only answers paths under its own base path, so other
 * plugins' upgrades are left alone.
 */
export class VncGateway {
  private readonly wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    // RFB messages are small; a bigger frame from a viewer is hostile.
    maxPayload: 2 << 20,
    handleProtocols: protocols => (protocols.has('binary') ? 'binary' : false),
  });
  private readonly servers = new WeakSet<Server>();
  private readonly readBuffers = new ReadBufferPool();
  private readonly unowned: UnownedUpgrades;
  private readonly audit: SessionAudit;
  /** Our upgrades between request and session (authorizing, opening VNC). */
  private readonly upgrading = new Set<Duplex>();
  readonly sessions: SessionRegistry;
  readonly spliceRelay: SpliceRelaySupport;
  /** Instances' sound, on its own WebSockets (see audioRelay.ts). */
  readonly audio: AudioRelay;

  constructor(private readonly options: VncGatewayOptions) {
    this.sessions = new SessionRegistry(options.settings.maxSessionsPerUser);
    this.unowned = new UnownedUpgrades(options.unclaimedUpgradeTimeoutMs);
    this.audit = new SessionAudit(options.auditor, options.logger);
    this.audio = new AudioRelay({
      runtimes: options.runtimes,
      logger: options.logger,
      maxBufferedBytes: AUDIO_MAX_BUFFERED_BYTES,
      maxListenersPerUser: options.settings.maxSessionsPerUser,
      audit: this.audit,
    });
    this.spliceRelay = options.settings.zeroCopy
      ? loadSpliceRelay()
      : { available: false, reason: 'loco.gateway.zeroCopy is false' };
    options.logger.info(
      this.spliceRelay.available
        ? 'VNC gateway relays screens natively (splice(2) from TCP) where both ends are plain sockets'
        : `VNC gateway relays screens in JavaScript: ${this.spliceRelay.reason}`,
    );
  }

  /**
   * Express middleware that finds the HTTP server (Backstage does not hand
   * plugins the server) and subscribes to its upgrades. Node routes an upgrade
   * through the router only while the server has no `upgrade` listener; once
   * another plugin listens (Backstage's signals backend, which every generated
   * app runs and its frontend connects to on load), our upgrades reach only
   * that listener, which ignores them. So any request to our routes attaches
   * us (the Loco tab lists environments before it opens a tile), and an
   * upgrade that still comes through the router is handled here.
   */
  middleware(): RequestHandler {
    return (req, _res, next) => {
      const server = (req.socket as unknown as { server?: Server }).server;
      if (server) this.attach(server);
      if (req.headers.upgrade?.toLowerCase() !== 'websocket' || !server) {
        next();
        return;
      }
      void this.handleUpgrade(req, req.socket, Buffer.alloc(0));
    };
  }

  /**
   * Subscribes to a server's upgrades (idempotent). Every upgrade that reaches
   * the listener is answered: ours here, others by their owner or, failing
   * that, by {@link UnownedUpgrades}.
   */
  attach(server: Server) {
    if (this.servers.has(server)) return;
    this.servers.add(server);
    emitUpgradesOnlyWhenOwned(server, req => this.owns(req));
    server.on('upgrade', (req, socket, head) => {
      if (this.owns(req)) void this.handleUpgrade(req, socket, head);
      else this.unowned.handle(server, socket);
    });
  }

  /** Closes every session and answers every open upgrade (backend shutdown). */
  close() {
    this.sessions.closeAll('backend shutting down');
    this.audio.close();
    for (const socket of this.upgrading) socket.destroy();
    this.unowned.closeAll();
    this.wss.close();
  }

  /** Upgrades below the plugin's base path are this gateway's to answer. */
  private owns(req: IncomingMessage): boolean {
    return pathOf(req).startsWith(`${this.options.basePath}/`);
  }

  async handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer) {
    if (!this.owns(req)) {
      this.reject(socket, 404);
      return;
    }
    const url = urlOf(req);
    socket.on('error', () => socket.destroy());
    this.upgrading.add(socket);
    socket.once('close', () => this.upgrading.delete(socket));

    const subPath = url.pathname.slice(this.options.basePath.length);
    const audioParams = parseAudioPath(subPath);
    const params = audioParams ?? parseVncPath(subPath);
    const query = queryParams.safeParse(Object.fromEntries(url.searchParams));
    if (!params) {
      this.reject(socket, 404);
      return;
    }
    if (!query.success) {
      this.reject(socket, 400);
      return;
    }
    const { env, index } = params;

    const decision = await authorizeUpgrade(req, this.options);
    if (decision.status !== 200) {
      this.options.logger.debug(
        `VNC upgrade ${env}/${index} refused: ${decision.reason}`,
      );
      // Anonymous refusals are not recorded: they would let anyone fill the log.
      if (decision.status === 403) {
        const { user, reason } = decision;
        this.audit.refused(
          { user, environment: env, instance: index },
          reason,
          audioParams ? 'sound' : 'screen',
        );
      }
      this.reject(socket, decision.status);
      return;
    }
    if (audioParams) {
      // Sound follows the permission to watch, checked just above; it opens
      // no screen, so it has a cap of its own (see AudioRelay).
      this.wss.handleUpgrade(req, socket, head, ws => {
        this.upgrading.delete(socket);
        this.audio.listen(env, index, ws, decision.user);
      });
      return;
    }
    const release = this.sessions.reserve(decision.user);
    if (!release) {
      this.audit.refused(
        { user: decision.user, environment: env, instance: index },
        'too many screens open',
      );
      this.refuseOverCap(req, socket, head);
      return;
    }

    let target: Duplex;
    const reader = new PooledVncReader(this.readBuffers);
    try {
      target = await this.options.runtimes.openVnc(env, index, {
        onread: reader.onread,
      });
    } catch (error) {
      release();
      this.options.logger.info(`VNC ${env}/${index} unavailable: ${error}`);
      this.reject(socket, error instanceof NotFoundError ? 404 : 502);
      return;
    }
    // Keystrokes and small frame requests must not wait for Nagle on TCP targets.
    (target as Partial<Socket>).setNoDelay?.(true);
    // The viewer may have gone while we waited, and ws drops invalid handshakes
    // without calling back: either way the VNC connection must not leak.
    const abandon = () => {
      target.destroy();
      release();
    };
    if (socket.destroyed) {
      abandon();
      return;
    }
    socket.once('close', abandon);
    target.once('error', () => undefined);
    const spliced = this.spliceBetween(target, socket);
    this.wss.handleUpgrade(req, spliced ?? socket, head, ws => {
      socket.off('close', abandon);
      this.upgrading.delete(socket);
      const allowInput = decision.allowInput && query.data.viewOnly !== 'true';
      const recordEnd = this.audit.opened({
        user: decision.user,
        environment: env,
        instance: index,
        mode: allowInput ? 'control' : 'view',
      });
      let unregister = () => {};
      const session = new VncSession({
        ws,
        target,
        reader,
        zeroCopy: spliced,
        environment: env,
        index,
        user: decision.user,
        allowInput,
        metrics: this.options.runtimes.metrics,
        logger: this.options.logger,
        heartbeatIntervalMs: this.options.settings.heartbeatIntervalMs,
        idleTimeoutMs: this.options.settings.idleTimeoutMs,
        onClosed: summary => {
          unregister();
          release();
          recordEnd(summary);
        },
      });
      unregister = this.sessions.add(session);
      if (target.destroyed)
        session.close(CLOSE.serverError, 'VNC connection lost');
    });
  }

  /**
   * The browser's socket wrapped around a native relay, when both ends are
   * plain sockets and the target reads through `onread` (so pausing it stops
   * the kernel reads at once and the relay sees every byte after the greeting).
   */
  private spliceBetween(target: Duplex, browser: Duplex) {
    if (!this.spliceRelay.available) return undefined;
    const vncFd = plainSocketFd(target);
    const browserFd = plainSocketFd(browser);
    if (vncFd === undefined || browserFd === undefined) return undefined;
    // Only a socket reading through `onread` stops its kernel reads on pause();
    // any other would keep reading bytes the relay must see.
    target.pause();
    const handle = (target as { _handle?: { reading?: boolean } })._handle;
    if (handle?.reading !== false) {
      target.resume();
      return undefined;
    }
    return new SplicedBrowserSocket(
      browser as Socket,
      vncFd,
      browserFd,
      this.spliceRelay.Relay,
    );
  }

  /**
   * A user at the session cap: a browser never sees the HTTP status of a
   * refused upgrade (only "connection lost"), so the handshake completes and
   * the session closes at once with a code and a reason the tile shows.
   * No VNC connection is opened.
   */
  private refuseOverCap(req: IncomingMessage, socket: Duplex, head: Buffer) {
    this.upgrading.delete(socket);
    this.options.runtimes.metrics.vncRejectedUpgrades.labels('429').inc();
    const max = this.options.settings.maxSessionsPerUser;
    this.wss.handleUpgrade(req, socket, head, ws => {
      ws.close(
        CLOSE.tooManySessions,
        `too many screens open: at most ${max} per user`,
      );
      terminateIfStuck(ws);
    });
  }

  /** Refuses one of our upgrades with a plain HTTP answer, counted. */
  private reject(socket: Duplex, status: number) {
    this.upgrading.delete(socket);
    this.options.runtimes.metrics.vncRejectedUpgrades
      .labels(String(status))
      .inc();
    rejectUpgrade(socket, status);
  }
}

/**
 * The request's full URL: inside the express router req.url is relative to
 * the mount point, the original URL is the full path either way.
 */
function urlOf(req: IncomingMessage): URL {
  const rawUrl = (req as Partial<Request>).originalUrl ?? req.url ?? '/';
  return new URL(rawUrl, 'http://localhost');
}

function pathOf(req: IncomingMessage): string {
  try {
    return urlOf(req).pathname;
  } catch {
    return '';
  }
}
