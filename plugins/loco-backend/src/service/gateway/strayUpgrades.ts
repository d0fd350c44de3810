import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';

/**
 * Once a server has an `upgrade` listener, Node hands it every request that
 * asks to upgrade (any path, any protocol: `websocket`, a stray `h2c`) and no
 * longer answers them itself. A listener that ignores a path it does not own
 * leaves the client hanging and the descriptor open for good, and a backend
 * holding such sockets does not exit on Ctrl-C. These helpers make sure every
 * upgrade gets an answer.
 */

/** How long an upgrade no listener answered may stay open before we answer it. */
export const UNCLAIMED_UPGRADE_TIMEOUT_MS = 10_000;

type UpgradeDecider = (this: Server, req: IncomingMessage) => boolean;

/**
 * Makes `server` emit `upgrade` only for requests this gateway owns, or when
 * another listener exists that may own them. Everything else is served as a
 * plain HTTP request by the backend's router, like on a server without any
 * upgrade listener: Backstage answers it (404, or another plugin's route).
 * Uses Node's `shouldUpgradeCallback` (Node 22.21+/24.9+); on older Node the
 * `upgrade` listener answers strays itself ({@link UnownedUpgrades}).
 */
export function emitUpgradesOnlyWhenOwned(
  server: Server,
  owns: (req: IncomingMessage) => boolean,
): void {
  const holder = server as Server & { shouldUpgradeCallback?: UpgradeDecider };
  const previous = holder.shouldUpgradeCallback;
  if (typeof previous !== 'function') return;
  holder.shouldUpgradeCallback = function shouldUpgrade(req) {
    if (owns(req)) return true;
    // Another listener may own this path; the previous rule decides for it.
    return this.listenerCount('upgrade') > 1 && previous.call(this, req);
  };
}

/**
 * Answers the upgrades that reach our `upgrade` listener but are not ours.
 * When no other listener exists, nobody else can answer: 404 at once.
 * Otherwise another plugin may be answering (after its own authentication,
 * asynchronously), so wait; if nothing has been written on the socket after
 * the timeout, answer 404. On shutdown whatever still waits gets 503.
 */
export class UnownedUpgrades {
  private readonly waiting = new Set<Duplex>();

  constructor(private readonly timeoutMs = UNCLAIMED_UPGRADE_TIMEOUT_MS) {}

  handle(server: Server, socket: Duplex): void {
    if (server.listenerCount('upgrade') <= 1) {
      rejectUpgrade(socket, 404);
      return;
    }
    this.waiting.add(socket);
    const timer = setTimeout(
      () => this.answerIfUnclaimed(socket, 404),
      this.timeoutMs,
    );
    // A pending check must not keep a stopping backend alive.
    timer.unref();
    socket.once('close', () => {
      clearTimeout(timer);
      this.waiting.delete(socket);
    });
  }

  /** Backend shutdown: nothing may stay open waiting for a listener. */
  closeAll(): void {
    for (const socket of [...this.waiting]) this.answerIfUnclaimed(socket, 503);
  }

  get size(): number {
    return this.waiting.size;
  }

  private answerIfUnclaimed(socket: Duplex, status: number) {
    this.waiting.delete(socket);
    if (!socket.destroyed && !answered(socket)) rejectUpgrade(socket, status);
  }
}

/** Whether anyone wrote on the socket (a 101, or a refusal). */
function answered(socket: Duplex): boolean {
  const written = (socket as Partial<Socket>).bytesWritten ?? 0;
  return written > 0 || socket.writableLength > 0 || socket.writableEnded;
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  429: 'Too Many Requests',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

/**
 * A plain HTTP answer on a socket that asked to upgrade, then close it. The
 * socket is destroyed once the answer is flushed, or at once if it cannot
 * be: a client that never closes must not hold it.
 */
export function rejectUpgrade(socket: Duplex, status: number): void {
  const text = STATUS_TEXT[status] ?? 'Error';
  socket.on('error', () => socket.destroy());
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  socket.once('finish', () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${text.length}\r\n\r\n${text}`,
  );
}
