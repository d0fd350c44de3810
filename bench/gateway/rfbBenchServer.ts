// A minimal RFB 3.8 server for the gateway bench (security None). After the
// handshake it answers FramebufferUpdateRequests only:
//   incremental=0  -> streams BENCH_BYTES bytes (one huge raw update), for throughput
//   incremental=1  -> a 4-byte empty FramebufferUpdate, for round-trip latency
// Usage: node rfbBenchServer.ts PORT BYTES [UNIX_SOCKET_PATH]
// With a path it also listens there, as QEMU's VNC does for the local runtime.
import net from 'node:net';

const port = Number(process.argv[2]);
const bulkBytes = Number(process.argv[3]);
const unixPath = process.argv[4];
const block = Buffer.alloc(256 * 1024, 0x5a);
const emptyUpdate = Buffer.from([0, 0, 0, 0]);

function serverInit(): Buffer {
  const b = Buffer.alloc(24 + 5);
  b.writeUInt16BE(1024, 0);
  b.writeUInt16BE(768, 2);
  Buffer.from([32, 24, 0, 1, 0, 255, 0, 255, 0, 255, 16, 8, 0, 0, 0, 0]).copy(
    b,
    4,
  );
  b.writeUInt32BE(5, 20);
  b.write('bench', 24);
  return b;
}

function stream(socket: net.Socket, bytes: number) {
  let left = bytes;
  const pump = () => {
    while (left > 0) {
      const chunk = left >= block.length ? block : block.subarray(0, left);
      left -= chunk.length;
      if (!socket.write(chunk)) {
        socket.once('drain', pump);
        return;
      }
    }
  };
  pump();
}

function serve(socket: net.Socket) {
  socket.setNoDelay(true);
  socket.on('error', () => undefined);
  let buf = Buffer.alloc(0);
  let state = 0; // 0 version, 1 security, 2 init, 3 messages
  socket.write('RFB 003.008\n');
  socket.on('data', chunk => {
    buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
    for (;;) {
      const need = [12, 1, 1, 10][state];
      if (buf.length < need) return;
      const message = buf.subarray(0, need);
      buf = buf.subarray(need);
      if (state === 0) socket.write(Buffer.from([1, 1]));
      else if (state === 1) socket.write(Buffer.alloc(4));
      else if (state === 2) socket.write(serverInit());
      else if (message[0] !== 3) return socket.destroy();
      else if (message[1] === 0) stream(socket, bulkBytes);
      else socket.write(emptyUpdate);
      if (state < 3) state++;
    }
  });
}

let listening = unixPath ? 2 : 1;
const ready = () => --listening === 0 && process.stdout.write('ready\n');
net.createServer(serve).listen(port, '127.0.0.1', ready);
if (unixPath) net.createServer(serve).listen(unixPath, ready);
