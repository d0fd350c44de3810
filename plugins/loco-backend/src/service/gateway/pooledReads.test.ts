import net from 'node:net';
import {
  PooledVncReader,
  READ_BUFFER_BYTES,
  ReadBufferPool,
} from './pooledReads';

/** A TCP server that writes `messages` to its one client, one write per tick. */
async function serverSending(messages: string[]) {
  const server = net.createServer(socket => {
    let i = 0;
    const next = () => {
      if (i < messages.length)
        socket.write(messages[i++], () => setTimeout(next, 20));
      else socket.end();
    };
    next();
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as net.AddressInfo).port };
}

describe('PooledVncReader', () => {
  it('keeps what the server sent before the session attached, and delivers it first, in order', async () => {
    const { server, port } = await serverSending([
      'RFB 003.008\n',
      'second',
      'third',
    ]);
    const reader = new PooledVncReader(new ReadBufferPool());
    // The session attaches once the greeting has been read into the reader.
    let greetingRead!: () => void;
    const greeted = new Promise<void>(resolve => (greetingRead = resolve));
    const socket = net.connect({
      port,
      host: '127.0.0.1',
      onread: {
        buffer: reader.onread.buffer,
        callback: (bytes, buffer) => {
          const keepReading = reader.onread.callback(bytes, buffer);
          greetingRead();
          return keepReading;
        },
      },
    });
    const received: string[] = [];
    const closed = new Promise(resolve => socket.once('close', resolve));
    await greeted;
    reader.pipeTo((chunk, release) => {
      received.push(chunk.toString());
      release();
    });
    await closed;
    server.close();
    expect(received.join('')).toBe('RFB 003.008\nsecondthird');
    expect(received[0]).toBe('RFB 003.008\n');
  });

  it('reuses a released buffer instead of allocating one per read', async () => {
    const { server, port } = await serverSending(['a', 'b', 'c', 'd']);
    const pool = new ReadBufferPool();
    const reader = new PooledVncReader(pool);
    const buffers = new Set<ArrayBufferLike>();
    reader.pipeTo((chunk, release) => {
      expect(chunk.buffer.byteLength).toBeGreaterThanOrEqual(READ_BUFFER_BYTES);
      buffers.add(chunk.buffer);
      release(); // written: the buffer may be read into again
    });
    const socket = net.connect({
      port,
      host: '127.0.0.1',
      onread: reader.onread,
    });
    await new Promise(resolve => socket.once('close', resolve));
    server.close();
    // Four reads, but only the buffer being read into and one spare ever existed.
    expect(buffers.size).toBeLessThanOrEqual(2);
  });

  it('never hands out a buffer that is still being sent', () => {
    const pool = new ReadBufferPool();
    const inFlight = pool.take();
    expect(pool.take()).not.toBe(inFlight);
    pool.give(inFlight);
    expect(pool.take()).toBe(inFlight);
  });
});
