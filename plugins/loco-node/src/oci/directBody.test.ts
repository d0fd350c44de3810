import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { readBodyDirect, type DirectBodySink } from './directBody';
import { uploadBlob } from './blobUpload';
import { RegistryClient } from './RegistryClient';
import {
  startTestRegistry,
  type TestRegistry,
} from './__testUtils__/testRegistry';

jest.setTimeout(60_000);

let work: string;
beforeAll(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'loco-direct-test-'));
});
afterAll(() => fs.rm(work, { recursive: true, force: true }));

/** Reads `url` into a fresh file: the outcome, the file's bytes and every byte observed. */
async function readInto(
  url: URL,
  options: {
    headers?: Record<string, string>;
    accepts?: DirectBodySink['accepts'];
    onObserve?: () => void;
    signal?: AbortSignal;
  } = {},
) {
  const file = path.join(work, `body-${randomBytes(4).toString('hex')}`);
  const handle = await fs.open(file, 'w');
  const observed: Buffer[] = [];
  const outcome = await readBodyDirect(
    { url, headers: options.headers ?? {}, signal: options.signal },
    {
      fd: handle.fd,
      position: 0,
      accepts: options.accepts ?? (status => status === 200),
      observe: chunk => {
        observed.push(Buffer.from(chunk));
        options.onObserve?.();
      },
    },
  ).then(
    accepted => ({ accepted, error: undefined }),
    (error: Error) => ({ accepted: undefined, error }),
  );
  await handle.close();
  return {
    ...outcome,
    bytes: await fs.readFile(file),
    observed: Buffer.concat(observed),
  };
}

/**
 * A test double of an HTTP/1.1 server that answers every request with the
 * given raw pieces, written one by one (so a head can arrive split across
 * reads, or a body be cut short), then closes the connection.
 */
async function rawServer(pieces: Array<Buffer | string>) {
  const server = net.createServer(socket => {
    socket.once('data', async () => {
      for (const piece of pieces) {
        socket.write(piece);
        await new Promise(r => setTimeout(r, 5));
      }
      socket.end();
    });
    socket.on('error', () => {});
  });
  await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: new URL(`http://127.0.0.1:${port}/v2/x/blobs/sha256:0`),
    close: () => new Promise(r => server.close(r)),
  };
}

describe('against a real registry', () => {
  let registry: TestRegistry;
  let client: RegistryClient;
  const blob = randomBytes(5 * 1024 * 1024 + 17); // several 1 MB reads and a tail
  const digest = `sha256:${createHash('sha256').update(blob).digest('hex')}`;
  beforeAll(async () => {
    registry = await startTestRegistry();
    client = new RegistryClient(`${registry.host}/loco/direct`);
    await uploadBlob(client, { data: blob });
  });
  afterAll(() => registry.stop());

  it('writes a plainly served blob byte for byte and lets every byte be observed in order', async () => {
    const { url, headers } = client.firstAttempt({
      target: client.path(`blobs/${digest}`),
      access: 'pull',
    });
    const read = await readInto(url, { headers });
    expect(read.accepted).toBe(true);
    expect(read.bytes.equals(blob)).toBe(true);
    expect(read.observed.equals(blob)).toBe(true);
  });

  it('declines an answer the sink does not accept and writes nothing', async () => {
    const { url } = client.firstAttempt({
      target: client.path(`blobs/sha256:${'0'.repeat(64)}`),
      access: 'pull',
    });
    const read = await readInto(url);
    expect(read).toMatchObject({ accepted: false, error: undefined });
    expect(read.bytes.length).toBe(0);
  });
});

describe('against a test double of an HTTP/1.1 server', () => {
  it('takes a head split across reads, with body bytes in the same read as its end', async () => {
    const body = Buffer.from('0123456789abcdef');
    const server = await rawServer([
      'HTTP/1.1 200 OK\r\nContent-Le',
      `ngth: ${body.length}\r\n\r\n${body.subarray(0, 6)}`,
      body.subarray(6),
    ]);
    try {
      const read = await readInto(server.url);
      expect(read.accepted).toBe(true);
      expect(read.bytes.toString()).toBe(body.toString());
    } finally {
      await server.close();
    }
  });

  it('declines a chunked body, leaving it to the http client', async () => {
    const server = await rawServer([
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n0\r\n\r\n',
    ]);
    try {
      const read = await readInto(server.url);
      expect(read).toMatchObject({ accepted: false, error: undefined });
      expect(read.bytes.length).toBe(0);
    } finally {
      await server.close();
    }
  });

  it('rejects a body cut short, after writing exactly the bytes it observed', async () => {
    const server = await rawServer([
      'HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n',
      Buffer.alloc(30000, 7),
    ]);
    try {
      const read = await readInto(server.url);
      expect(read.error?.message).toMatch(/closed with 70000 bytes to go/);
      expect(read.bytes.equals(Buffer.alloc(30000, 7))).toBe(true);
      expect(read.observed.length).toBe(30000);
    } finally {
      await server.close();
    }
  });

  it('stops when aborted mid-body, with the abort as its reason and the file matching what was observed', async () => {
    const server = await rawServer([
      'HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n',
      Buffer.alloc(1000, 1),
      Buffer.alloc(1000, 2),
    ]);
    const controller = new AbortController();
    try {
      const read = await readInto(server.url, {
        signal: controller.signal,
        onObserve: () => controller.abort(new Error('destroyed by the user')),
      });
      expect(read.error?.message).toBe('destroyed by the user');
      expect(read.observed.equals(Buffer.alloc(1000, 1))).toBe(true);
      expect(read.bytes.equals(read.observed)).toBe(true);
    } finally {
      await server.close();
    }
  });
});
