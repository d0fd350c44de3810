import type { LoggerService } from '@backstage/backend-plugin-api';
import type { LocoRuntimes } from '@loco-portal/plugin-loco-node';
import type { WebSocket } from 'ws';
import { QemuAudioClient } from './audioRfbClient';
import type { SessionAudit } from './sessionAudit';
import { CLOSE } from './VncSession';

export interface AudioRelayOptions {
  runtimes: LocoRuntimes;
  logger: LoggerService;
  /**
   * A listener whose socket holds more than this many unsent bytes misses
   * the next chunks: stale sound is dropped, never queued, so a slow
   * listener hears the present (with gaps), not the past.
   */
  maxBufferedBytes: number;
  /** Sound sockets one user may hold open at once (the screens' cap: one per screen). */
  maxListenersPerUser: number;
  /**
   * Who listened where and for how long, like the screens' sessions (the
   * gateway passes its own); without it nothing is recorded.
   */
  audit?: SessionAudit;
}

/** What one listener got and missed, for its audit record. */
interface ListenerCounts {
  bytes: number;
  dropped: number;
}

/** What one instance's sound costs and loses, for tests and the bench. */
export interface AudioTapStats {
  chunks: number;
  bytes: number;
  /** Chunks not sent to a listener because its socket was behind. */
  dropped: number;
}

/** One audio-only VNC client per instance that has listeners, shared by all of them. */
class AudioTap {
  readonly listeners = new Map<WebSocket, ListenerCounts>();
  readonly stats: AudioTapStats = { chunks: 0, bytes: 0, dropped: 0 };
  private client?: QemuAudioClient;
  private closed = false;

  constructor(
    private readonly name: string,
    private readonly options: AudioRelayOptions,
    private readonly onGone: () => void,
  ) {}

  async open(environment: string, index: number) {
    try {
      const socket = await this.options.runtimes.openVnc(environment, index);
      if (this.closed) {
        socket.destroy();
        return;
      }
      this.client = new QemuAudioClient(socket, {
        onPcm: pcm => this.relay(pcm),
        onEnd: reason => this.end(reason),
      });
    } catch (error) {
      this.end(`sound unavailable: ${error}`);
    }
  }

  private relay(pcm: Buffer) {
    this.stats.chunks += 1;
    this.stats.bytes += pcm.length;
    for (const [ws, counts] of this.listeners) {
      if (ws.bufferedAmount > this.options.maxBufferedBytes) {
        this.stats.dropped += 1;
        counts.dropped += 1;
      } else {
        ws.send(pcm, { binary: true });
        counts.bytes += pcm.length;
      }
    }
  }

  /** The VNC side ended: listeners are told, so a tile can try again later. */
  private end(reason: string) {
    if (this.closed) return;
    this.options.logger.info(`sound of ${this.name} ended: ${reason}`);
    for (const ws of this.listeners.keys())
      ws.close(CLOSE.serverError, reason.slice(0, 120));
    this.close();
  }

  close() {
    if (this.closed) return;
    this.closed = true;
    this.client?.close();
    this.onGone();
  }
}

/**
 * Relays instances' sound to listeners' WebSockets. QEMU's VNC audio goes to
 * every client that enables it, so one audio-only client per instance (not
 * per listener) keeps QEMU's work and the VNC traffic at one stream however
 * many people listen. The screen sessions never carry audio: a burst of
 * sound cannot delay a frame, and noVNC needs no change.
 */
export class AudioRelay {
  private readonly taps = new Map<string, AudioTap>();
  private readonly listenersOf = new Map<string, number>();

  constructor(private readonly options: AudioRelayOptions) {}

  /** Sends the instance's sound to `ws` until it closes; `user` is who listens. */
  listen(environment: string, index: number, ws: WebSocket, user: string) {
    const held = this.listenersOf.get(user) ?? 0;
    const max = this.options.maxListenersPerUser;
    const where = { user, environment, instance: index };
    if (held >= max) {
      this.options.audit?.refused(
        where,
        'too many sound sockets open',
        'sound',
      );
      ws.close(
        CLOSE.tooManySessions,
        `too many sound sockets open: at most ${max} per user`,
      );
      return;
    }
    this.listenersOf.set(user, held + 1);
    const key = `${environment}/${index}`;
    let tap = this.taps.get(key);
    if (!tap) {
      const created = new AudioTap(key, this.options, () => {
        if (this.taps.get(key) === created) this.taps.delete(key);
      });
      this.taps.set(key, created);
      void created.open(environment, index);
      tap = created;
    }
    const joined = tap;
    const counts: ListenerCounts = { bytes: 0, dropped: 0 };
    joined.listeners.set(ws, counts);
    const started = Date.now();
    const recordEnd = this.options.audit?.listening(where);
    // Listeners only listen; anything they send is ignored.
    ws.on('message', () => undefined);
    ws.on('error', () => ws.terminate());
    ws.once('close', (code, reason) => {
      recordEnd?.({
        closeCode: code,
        closeReason: reason.toString(),
        durationMs: Date.now() - started,
        bytesToListener: counts.bytes,
        chunksDropped: counts.dropped,
      });
      const left = (this.listenersOf.get(user) ?? 1) - 1;
      if (left > 0) this.listenersOf.set(user, left);
      else this.listenersOf.delete(user);
      joined.listeners.delete(ws);
      // The last listener gone: QEMU stops encoding sound for us.
      if (joined.listeners.size === 0) joined.close();
    });
  }

  /** How many listen to an instance now. */
  listeners(environment: string, index: number): number {
    return this.taps.get(`${environment}/${index}`)?.listeners.size ?? 0;
  }

  /** Counters of an instance's current tap, undefined when nobody listens. */
  stats(environment: string, index: number): AudioTapStats | undefined {
    return this.taps.get(`${environment}/${index}`)?.stats;
  }

  close() {
    for (const tap of [...this.taps.values()]) {
      for (const ws of tap.listeners.keys())
        ws.close(CLOSE.goingAway, 'backend shutting down');
      tap.close();
    }
  }
}
