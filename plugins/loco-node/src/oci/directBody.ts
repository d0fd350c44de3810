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

/**
 * GETs `request.url` and, when the sink accepts the answer, writes its body
 * into the sink's file. Resolves true when the whole body (its
 * Content-Length) is written, false when declined (nothing written). A
 * connection that breaks off mid-body rejects only after every write already
 * started has ended, so the file holds exactly the bytes observed and a later
 * attempt can resume from them.
 */
export function readBodyDirect(
  request: DirectGet,
  sink: DirectBodySink,
): Promise<boolean> {
  return new Promise<boolean>((resolve, reject) => {
    const pool = Array.from({ length: BUFFERS }, () =>
      Buffer.allocUnsafe(BUFFER_BYTES),
    );
    const writing = pool.map(() => false);
    let reads = 0; // which pool buffer the socket reads into next: reads % BUFFERS
    let waitingFor = -1; // the buffer whose write must end before reading on
    let pending = 0;
    let head: Buffer | null = Buffer.alloc(0);
    let remaining = -1; // body bytes still to come, once the head is parsed
    let position = sink.position;
    let outcome: { error?: Error; accepted?: boolean } | null = null;
    // Assigned once connected below; every use is in a callback of it.
    let socket: net.Socket;

    const settle = () => {
      if (!outcome || pending > 0) return;
      request.signal?.removeEventListener('abort', abort);
      if (outcome.error) reject(outcome.error);
      else resolve(outcome.accepted ?? false);
    };
    /**
     * Before a body is accepted every end is a decline (the http client's
     * attempt then says what went wrong, in the words of every other request).
     */
    const end = (result: { error?: Error; accepted?: boolean }) => {
      outcome ??= remaining < 0 ? { accepted: false } : result;
      socket.destroy();
      settle();
    };

    // Errors are plain: downloadBlob reports them as a transfer that broke off.
    function abort() {
      end({ error: request.signal?.reason ?? new Error('aborted') });
    }

    const write = (bytes: Buffer, slot: number) => {
      sink.observe(bytes);
      pending++;
      if (slot >= 0) writing[slot] = true;
      fs.write(sink.fd, bytes, 0, bytes.length, position, error => {
        pending--;
        if (slot >= 0) writing[slot] = false;
        if (error) end({ error });
        else if (slot === waitingFor) {
          waitingFor = -1;
          socket.resume();
        }
        settle();
      });
      position += bytes.length;
      remaining -= bytes.length;
      if (remaining === 0) end({ accepted: true });
    };

    /** Parses the head once complete; returns body bytes that came with it. */
    const takeHead = (bytes: Buffer): Buffer | null => {
      head = Buffer.concat([head!, bytes]);
      const at = head.indexOf('\r\n\r\n');
      if (at < 0) {
        if (head.length > HEAD_LIMIT) end({ accepted: false });
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
      const length = Number(headers.get('content-length'));
      const body = head.subarray(at + 4);
      head = null;
      const plain =
        !headers.has('transfer-encoding') && Number.isSafeInteger(length);
      if (!plain || !sink.accepts(status, headers)) {
        end({ accepted: false });
        return null;
      }
      remaining = length;
      if (length === 0) end({ accepted: true });
      return body.subarray(0, length);
    };

    const onread = (bytes: number) => {
      if (outcome) return false;
      const slot = reads % BUFFERS;
      reads++;
      let chunk: Buffer | null = pool[slot].subarray(0, bytes);
      if (head) {
        chunk = takeHead(Buffer.from(chunk)); // a copy: the head outlives this read
        if (chunk?.length) write(chunk, -1);
        return !outcome;
      }
      write(chunk.subarray(0, Math.min(bytes, remaining)), slot);
      // Read on only into a buffer whose earlier write has ended.
      if (!outcome && writing[reads % BUFFERS]) {
        waitingFor = reads % BUFFERS;
        return false;
      }
      return !outcome;
    };

    const { url } = request;
    const secure = url.protocol === 'https:';
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    const port = Number(url.port) || (secure ? 443 : 80);
    const read = { buffer: () => pool[reads % BUFFERS], callback: onread };
    socket = secure
      ? tls.connect({ host, port, servername: host, onread: read } as any)
      : net.connect({ host, port, onread: read });

    const lines = [
      `GET ${url.pathname}${url.search} HTTP/1.1`,
      `host: ${url.host}`,
      'connection: close',
      ...Object.entries(request.headers).map(([k, v]) => `${k}: ${v}`),
    ];
    socket.once(secure ? 'secureConnect' : 'connect', () =>
      socket.write(`${lines.join('\r\n')}\r\n\r\n`),
    );
    socket.setTimeout(IDLE_TIMEOUT_MS, () =>
      end({
        error: new Error(
          `registry ${url.host} did not answer for ${IDLE_TIMEOUT_MS / 1000} s`,
        ),
      }),
    );
    socket.once('error', error => end({ error }));
    socket.once('close', () =>
      end({
        error: new Error(
          `connection to ${url.host} closed with ${remaining} bytes to go`,
        ),
      }),
    );
    if (request.signal?.aborted) abort();
    request.signal?.addEventListener('abort', abort, { once: true });
  });
}
