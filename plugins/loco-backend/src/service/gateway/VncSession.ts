import type { Duplex } from 'node:stream';
import type { LoggerService } from '@backstage/backend-plugin-api';
import { VNC_CLOSE } from '@loco-portal/plugin-loco-common';
import type { LocoMetrics } from '@loco-portal/plugin-loco-node';
import type { RawData, WebSocket } from 'ws';
import type { PooledVncReader } from './pooledReads';
import type { SessionSummary } from './sessionAudit';
import { RfbClientFilter, RfbProtocolError } from './RfbClientFilter';
import type { ZeroCopyRelay } from './zeroCopy/SplicedBrowserSocket';
import { writeInputToVnc } from './zeroCopy/writeInputToVnc';

/** Viewer messages handled before the session yields the event loop once. */
export const MESSAGES_BEFORE_YIELD = 2_000;

/** How often a session checks the filter's cap on time per message. */
const PENDING_CHECK_MS = 2_000;

/** Stop reading VNC while this much is queued for a slow browser. */
export const HIGH_WATER_BYTES = 1 << 20;

/** WebSocket close codes the viewer sees (the contract with the tile, in loco-common). */
export const CLOSE = VNC_CLOSE;

export interface VncSessionOptions {
  ws: WebSocket;
  target: Duplex;
  /** The target's `onread` reader, when it was opened with one. */
  reader?: PooledVncReader;
  /**
   * The native relay carrying VNC to the browser, when the gateway could use
   * one (the target was opened with `reader` and is paused).
   */
  zeroCopy?: ZeroCopyRelay;
  environment: string;
  index: number;
  user: string;
  /** False: view-only, input is dropped here whatever the viewer sends. */
  allowInput: boolean;
  metrics: LocoMetrics;
  logger: LoggerService;
  heartbeatIntervalMs: number;
  idleTimeoutMs: number;
  /** Called exactly once, after both sides are closed, with what the session did. */
  onClosed: (summary: SessionSummary) => void;
}

/**
 * One viewer on one instance: relays VNC to the browser untouched and the
 * browser's RFB messages through {@link RfbClientFilter}, with backpressure in
 * both directions, heartbeats, an idle timeout and teardown of both sides
 * whichever ends first.
 */
export class VncSession {
  readonly user: string;
  readonly environment: string;
  readonly index: number;
  private readonly filter: RfbClientFilter;
  private closed = false;
  private alive = true;
  private lastClientMessageAt = Date.now();
  private readonly heartbeat: NodeJS.Timeout;
  private readonly pendingCheck: NodeJS.Timeout;
  /** Bytes since the last report; counted here, added to the metric at each scrape. */
  private unreported = { toClient: 0, toServer: 0 };
  /** Everything reported so far, for the session's audit record. */
  private reported = { toClient: 0, toServer: 0 };
  private readonly openedAt = Date.now();
  private messagesSinceYield = 0;
  private readonly viewerPausedFor = new Set<string>();
  private readonly stopReportingBytes: () => void;

  constructor(private readonly o: VncSessionOptions) {
    this.user = o.user;
    this.environment = o.environment;
    this.index = o.index;
    const { ws, target, metrics, environment } = o;
    const mode = o.allowInput ? 'control' : 'view';
    // A prom-client increment hashes its labels; per chunk that is a visible
    // share of the relay's CPU, so the session counts and reports at scrape.
    this.stopReportingBytes = metrics.reportVncBytesOnCollect(() =>
      this.reportBytes(),
    );
    metrics.vncSessions.labels(environment, mode).inc();
    this.filter = new RfbClientFilter({
      // Seats narrow this as soon as the registry adds the session.
      allowInput: o.allowInput,
      // Only view-only input counts here; messages QEMU lacks are swallowed
      // too, but they are not input a viewer was refused.
      onDropped: (type, reason) => {
        if (reason === 'view-only')
          metrics.vncDroppedInputMessages.labels(environment, type).inc();
      },
    });

    // Framebuffer updates go out as they come, one WebSocket frame per read:
    // RFB is a byte stream on both ends, so frame boundaries mean nothing.
    // (Corking the browser socket for a loop turn to batch frames was measured:
    // no CPU saved with 64 KiB reads, and ~10 us more latency per round trip.)
    // `release` (pooled reads) runs once the WebSocket has written the chunk.
    const toBrowser = (chunk: Buffer, release?: () => void) => {
      this.unreported.toClient += chunk.length;
      if (ws.bufferedAmount + chunk.length > HIGH_WATER_BYTES) {
        target.pause();
        ws.send(chunk, () => {
          release?.();
          target.resume();
        });
      } else {
        ws.send(chunk, release);
      }
    };
    // A target opened with `onread` delivers through the reader and never
    // emits 'data'; one that could not honour it (port-forward) emits 'data'.
    // With a native relay the reader holds only what arrived before it (the
    // greeting): that goes through ws first, then the relay takes over.
    o.reader?.pipeTo(toBrowser);
    // Every close goes through ws.close, also ws's own answer to the viewer's
    // close frame. No screen data may follow a close frame (RFC 6455 5.5.1),
    // so the relay stops reading VNC right there. And a viewer that sent its
    // close frame has left: the session ends now, not when (or if) its socket
    // closes - a reloading browser may stop reading first, leaving ws to wait
    // 30 s for the handshake and the slot counted against the user's cap.
    const wsClose = ws.close.bind(ws);
    ws.close = ((code?: number, reason?: string | Buffer) => {
      o.zeroCopy?.stop();
      wsClose(code, reason);
      this.close(CLOSE.normal, 'viewer left');
    }) as typeof ws.close;
    if (o.zeroCopy) {
      const relay = o.zeroCopy;
      relay.start(failure => {
        if (failure) {
          o.logger.info(`VNC ${environment}/${o.index} relay: ${failure}`);
          this.close(CLOSE.serverError, 'VNC connection failed');
        } else this.close(CLOSE.normal, 'VNC server closed the connection');
      });
    } else {
      target.on('data', (chunk: Buffer) => toBrowser(chunk));
    }

    ws.on('message', (data: RawData, isBinary: boolean) => {
      this.yieldAfterManyMessages();
      if (!isBinary) {
        this.close(CLOSE.unsupportedData, 'RFB travels in binary messages');
        return;
      }
      this.lastClientMessageAt = Date.now();
      let forward: Buffer[];
      try {
        forward = this.filter.push(data as Buffer);
      } catch (error) {
        // A hostile stream ends this session only; never let it reach the process.
        if (error instanceof RfbProtocolError) {
          o.logger.info(
            `VNC ${environment}/${o.index} closed for ${o.user}: ${error.message}`,
          );
          this.close(CLOSE.protocolError, error.message.slice(0, 120));
        } else {
          o.logger.error(
            `VNC ${environment}/${o.index} filter failed: ${error}`,
          );
          this.close(CLOSE.serverError, 'gateway error');
        }
        return;
      }
      let writable = true;
      for (const part of forward) {
        this.unreported.toServer += part.length;
        writable = writeInputToVnc(part, target, o.zeroCopy);
      }
      if (!writable) {
        this.pauseViewer('vnc-full');
        target.once('drain', () => this.resumeViewer('vnc-full'));
      }
    });

    this.heartbeat = setInterval(() => this.tick(), o.heartbeatIntervalMs);
    this.heartbeat.unref();
    // A message begun and never finished holds its bytes: the filter's time
    // cap ends the session, also for a sender that went quiet after a byte.
    this.pendingCheck = setInterval(
      () => this.checkPending(),
      PENDING_CHECK_MS,
    );
    this.pendingCheck.unref();
    ws.on('pong', () => {
      this.alive = true;
    });

    ws.once('close', () => this.close(CLOSE.normal, 'viewer left'));
    ws.once('error', () =>
      this.close(CLOSE.normal, 'viewer connection failed'),
    );
    target.once('close', () =>
      this.close(CLOSE.normal, 'VNC server closed the connection'),
    );
    target.once('error', () =>
      this.close(CLOSE.serverError, 'VNC connection failed'),
    );
    target.on('end', () => target.end());
  }

  /**
   * The instance's seat changed holder: from the next message on, input
   * passes only if this session may control and its user holds the seat (or
   * nobody does). The metric's mode label stays what the session opened as.
   */
  setSeatHolder(holder: string | undefined) {
    this.filter.setAllowInput(this.inputAllowedWith(holder));
  }

  private inputAllowedWith(holder: string | undefined): boolean {
    return this.o.allowInput && (holder === undefined || holder === this.user);
  }

  /**
   * A flood of tiny frames (one byte each) is cheap to send and costs ~2 us
   * each here; libuv may read megabytes of them in one turn, stalling every
   * session and the backend for most of a second. Every so many messages the
   * viewer's socket pauses until the next turn, so one turn handles at most
   * that many plus the rest of one socket read.
   */
  private yieldAfterManyMessages() {
    if (++this.messagesSinceYield < MESSAGES_BEFORE_YIELD) return;
    if (this.messagesSinceYield > MESSAGES_BEFORE_YIELD) return; // already yielding
    this.pauseViewer('turn-budget');
    setImmediate(() => {
      this.messagesSinceYield = 0;
      this.resumeViewer('turn-budget');
    });
  }

  /** The viewer's socket is paused while any reason holds (full VNC socket, turn budget). */
  private pauseViewer(reason: string) {
    this.viewerPausedFor.add(reason);
    this.o.ws.pause();
  }

  private resumeViewer(reason: string) {
    this.viewerPausedFor.delete(reason);
    if (this.viewerPausedFor.size === 0 && !this.closed) this.o.ws.resume();
  }

  private checkPending() {
    try {
      this.filter.checkPendingDeadline();
    } catch (error) {
      const reason = String((error as Error).message).slice(0, 120);
      this.close(CLOSE.protocolError, reason);
    }
  }

  private tick() {
    if (Date.now() - this.lastClientMessageAt >= this.o.idleTimeoutMs) {
      this.close(CLOSE.idle, 'idle timeout');
      return;
    }
    if (!this.alive) {
      // No pong since the last ping: the viewer is gone without a FIN.
      this.o.ws.terminate();
      this.close(CLOSE.goingAway, 'heartbeat lost');
      return;
    }
    this.alive = false;
    this.o.ws.ping();
  }

  private reportBytes() {
    const { metrics, environment, zeroCopy } = this.o;
    const toClient =
      this.unreported.toClient + (zeroCopy?.takeRelayedBytes() ?? 0);
    metrics.vncBytes.labels(environment, 'to_client').inc(toClient);
    metrics.vncBytes
      .labels(environment, 'to_server')
      .inc(this.unreported.toServer);
    this.reported.toClient += toClient;
    this.reported.toServer += this.unreported.toServer;
    this.unreported = { toClient: 0, toServer: 0 };
  }

  /** Ends both sides once; safe to call from any event. */
  close(code: number, reason: string) {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.heartbeat);
    clearInterval(this.pendingCheck);
    const { ws, target, metrics, environment } = this.o;
    this.o.zeroCopy?.stop();
    this.reportBytes();
    this.stopReportingBytes();
    target.destroy();
    if (ws.readyState === ws.OPEN) ws.close(code, reason);
    if (ws.readyState === ws.CONNECTING) ws.terminate();
    else if (ws.readyState === ws.CLOSING) terminateIfStuck(ws);
    metrics.vncSessions
      .labels(environment, this.o.allowInput ? 'control' : 'view')
      .dec();
    this.o.onClosed({
      closeCode: code,
      closeReason: reason,
      durationMs: Date.now() - this.openedAt,
      bytesToViewer: this.reported.toClient,
      bytesToEmulator: this.reported.toServer,
      inputPassed: this.filter.forwardedInputMessages,
      inputDropped: this.filter.droppedInputMessages,
    });
  }
}

/**
 * ws waits 30 s for the viewer's answer to a close frame; a stuck viewer gets
 * less. The timer goes with the socket, so a closed session holds no memory.
 */
export function terminateIfStuck(ws: WebSocket, afterMs = 2_000) {
  const stuck = setTimeout(() => ws.terminate(), afterMs);
  stuck.unref();
  ws.once('close', () => clearTimeout(stuck));
}
