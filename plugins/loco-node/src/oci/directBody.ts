import fs from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';

/**
 * Why a second way to read a response: node's http client hands a body over
 * in 64 KB chunks, each a fresh buffer through the stream machinery, and
 * tops out near 850 MB/s on loopback, before any hashing; curl on the same
 * blob writes 1 GB/s. A gigabyte snapshot is one plain GET with a
 * Content-Length, so for that one shape we read the socket ourselves into a
 * few reused 1 MB buffers (net's `onread`), hash each read as it lands and
 * write it with positioned writes on libuv's thread pool, overlapping the
 * next read (bench/oci measures both against curl).
 *
 * Everything else — an authentication challenge, a redirect to storage, a
 * chunked body, an error status — is declined with nothing written, and the
 * caller asks again through node's http client, which handles them all.
 */

/** Reads land in this many rotating buffers; a buffer is reused once its write ended. */
const BUFFERS = 3;
const BUFFER_BYTES = 1024 * 1024;
/** A response head larger than this is not a blob answer: declined. */
const HEAD_LIMIT = 64 * 1024;
const IDLE_TIMEOUT_MS = 60_000;

export interface DirectGet {
  url: URL;
  headers: Record<string, string>;
  signal?: AbortSignal;
}

export interface DirectBodySink {
  /** Whether to take this answer's body here; false declines it. */
  accepts(status: number, headers: ReadonlyMap<string, string>): boolean;
  /** Sees every body byte in order (hashing, progress); valid only during the call. */
  observe(chunk: Buffer): void;
  /** Where the body goes: an open file and the position of its first byte. */
  fd: number;
  position: number;
}

type Outcome = { error?: Error; accepted?: boolean };

class DirectBodyRead {
  private readonly pool = Array.from({ length: BUFFERS }, () =>
    Buffer.allocUnsafe(BUFFER_BYTES),
  );
  private readonly writing = this.pool.map(() => false);
  /** Reads so far; the socket reads into pool[reads % BUFFERS] next. */
  private reads = 0;
  /** The buffer whose write must end before the socket reads on, or -1. */
  private waitingFor = -1;
  private pendingWrites = 0;
  /** The response head as it arrives; null once parsed. */
  private head: Buffer | null = Buffer.alloc(0);
  /** Body bytes still to come; -1 until a body is accepted. */
  private remaining = -1;
  private position: number;
  private outcome: Outcome | null = null;
  private socket!: net.Socket;

  constructor(
    private readonly request: DirectGet,
    private readonly sink: DirectBodySink,
    private readonly resolve: (accepted: boolean) => void,
    private readonly reject: (error: Error) => void,
  ) {
    this.position = sink.position;
  }

  start() {
    const { url, signal } = this.request;
    const secure = url.protocol === 'https:';
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    const port = Number(url.port) || (secure ? 443 : 80);
    const onread = {
      buffer: () => this.pool[this.reads % BUFFERS],
      callback: (bytes: number) => this.onRead(bytes),
    };
    this.socket = secure
      ? tls.connect({
          host,
          port,
          servername: host,
          onread,
        } as tls.ConnectionOptions)
      : net.connect({ host, port, onread });
    const lines = [
      `GET ${url.pathname}${url.search} HTTP/1.1`,
      `host: ${url.host}`,
      'connection: close',
      ...Object.entries(this.request.headers).map(([k, v]) => `${k}: ${v}`),
    ];
    this.socket.once(secure ? 'secureConnect' : 'connect', () =>
      this.socket.write(`${lines.join('\r\n')}\r\n\r\n`),
    );
    this.socket.setTimeout(IDLE_TIMEOUT_MS, () =>
      this.end({
        error: new Error(
          `registry ${url.host} did not answer for ${IDLE_TIMEOUT_MS / 1000} s`,
        ),
      }),
    );
    this.socket.once('error', error => this.end({ error }));
    this.socket.once('close', () =>
      this.end({
        error: new Error(
          `connection to ${url.host} closed with ${this.remaining} bytes to go`,
        ),
      }),
    );
    if (signal?.aborted) this.abort();
    signal?.addEventListener('abort', this.abort, { once: true });
  }

  private readonly abort = () =>
    this.end({ error: this.request.signal?.reason ?? new Error('aborted') });

  /**
   * Before a body is accepted every end is a decline (the http client's
   * attempt then says what went wrong, in the words of every other request).
   */
  private end(result: Outcome) {
    this.outcome ??= this.remaining < 0 ? { accepted: false } : result;
    this.socket.destroy();
    this.settle();
  }

  /** Answers once the outcome is known and no write is still running. */
  private settle() {
    if (!this.outcome || this.pendingWrites > 0) return;
    this.request.signal?.removeEventListener('abort', this.abort);
    if (this.outcome.error) this.reject(this.outcome.error);
    else this.resolve(this.outcome.accepted ?? false);
  }

  /** One read of `bytes` into the pool; false pauses the socket. */
  private onRead(bytes: number): boolean {
    if (this.outcome) return false;
    const slot = this.reads % BUFFERS;
    this.reads++;
    const chunk = this.pool[slot].subarray(0, bytes);
    if (this.head) {
      const body = this.takeHead(Buffer.from(chunk)); // a copy: the head outlives this read
      if (body?.length) this.write(body, -1);
      return !this.outcome;
    }
    this.write(chunk.subarray(0, Math.min(bytes, this.remaining)), slot);
    // Read on only into a buffer whose earlier write has ended.
    if (!this.outcome && this.writing[this.reads % BUFFERS]) {
      this.waitingFor = this.reads % BUFFERS;
      return false;
    }
    return !this.outcome;
  }

  /** Observes and writes body bytes; `slot` is their pool buffer, -1 for a copy. */
  private write(bytes: Buffer, slot: number) {
    this.sink.observe(bytes);
    this.pendingWrites++;
    if (slot >= 0) this.writing[slot] = true;
    fs.write(this.sink.fd, bytes, 0, bytes.length, this.position, error => {
      this.pendingWrites--;
      if (slot >= 0) this.writing[slot] = false;
      if (error) this.end({ error });
      else if (slot === this.waitingFor) {
        this.waitingFor = -1;
        this.socket.resume();
      }
      this.settle();
    });
    this.position += bytes.length;
    this.remaining -= bytes.length;
    if (this.remaining === 0) this.end({ accepted: true });
  }

  /** Collects the head; once complete, parses it and returns the body bytes that came with it. */
  private takeHead(bytes: Buffer): Buffer | null {
    const head = Buffer.concat([this.head!, bytes]);
    this.head = head;
    const at = head.indexOf('\r\n\r\n');
    if (at < 0) {
      if (head.length > HEAD_LIMIT) this.end({ accepted: false });
      return null;
    }
    const [statusLine, ...lines] = head
      .subarray(0, at)
      .toString('latin1')
      .split('\r\n');
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1]);
    const headers = new Map<string, string>();
    for (const line of lines) {
      const colon = line.indexOf(':');
      if (colon > 0)
        headers.set(
          line.slice(0, colon).trim().toLowerCase(),
          line.slice(colon + 1).trim(),
        );
    }
    this.head = null;
    const length = Number(headers.get('content-length'));
    const plain =
      !headers.has('transfer-encoding') && Number.isSafeInteger(length);
    if (!plain || !this.sink.accepts(status, headers)) {
      this.end({ accepted: false });
      return null;
    }
    this.remaining = length;
    if (length === 0) this.end({ accepted: true });
    return head.subarray(at + 4, at + 4 + length);
  }
}

/**
 * GETs `request.url` and, when the sink accepts the answer, writes its body
 * into the sink's file. Resolves true when the whole body (its
 * Content-Length) is written, false when declined (nothing written). A
 * connection that breaks off mid-body rejects only after every write already
 * started has ended, so the file holds exactly the bytes observed and a later
 * attempt can resume from them. Errors are plain: downloadBlob reports them
 * as a transfer that broke off.
 */
export function readBodyDirect(
  request: DirectGet,
  sink: DirectBodySink,
): Promise<boolean> {
  return new Promise<boolean>((resolve, reject) =>
    new DirectBodyRead(request, sink, resolve, reject).start(),
  );
}
