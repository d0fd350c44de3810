import net from 'node:net';

/** One client-to-server message as the test server parsed it. */
export interface RecordedMessage {
  type: number;
  /** QEMU (type 255) sub-type. */
  subtype?: number;
  bytes: Buffer;
}

export interface RecordedConnection {
  sharedFlag?: number;
  messages: RecordedMessage[];
  /** Set when the client broke the protocol as this server reads it. */
  error?: string;
  socket: net.Socket;
}

/** Types a view-only viewer must never get through to a server. */
export const INPUT_MESSAGE = (m: RecordedMessage) =>
  [4, 5, 6, 250, 251].includes(m.type) || (m.type === 255 && m.subtype === 0);

/**
 * Test double of a VNC server that speaks the server side of RFB 3.8 (security
 * type None), parses every client message on its own (independently of the
 * gateway's filter) and records it. Each FramebufferUpdateRequest is answered
 * with a FramebufferUpdate of one 1x1 raw pixel, so a client can see its
 * requests arrive.
 */
export class RecordingRfbServer {
  readonly connections: RecordedConnection[] = [];
  private readonly server = net.createServer(socket => this.serve(socket));

  async listen(path: string): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(path, () => resolve());
    });
  }

  connect(path: string): net.Socket {
    return net.createConnection(path);
  }

  async close(): Promise<void> {
    this.connections.forEach(c => c.socket.destroy());
    await new Promise<void>(resolve => this.server.close(() => resolve()));
  }

  /** Drops the records of closed connections; returns how many. */
  forgetClosed(): number {
    const open = this.connections.filter(c => !c.socket.destroyed);
    const gone = this.connections.length - open.length;
    this.connections.splice(0, this.connections.length, ...open);
    return gone;
  }

  /** Connections still open on the server side. */
  openConnections(): number {
    return this.connections.filter(c => !c.socket.destroyed).length;
  }

  private serve(socket: net.Socket) {
    const conn: RecordedConnection = { messages: [], socket };
    this.connections.push(conn);
    socket.on('error', () => undefined);
    let buf = Buffer.alloc(0);
    let state: 'version' | 'security' | 'init' | 'messages' = 'version';
    socket.write('RFB 003.008\n');
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      for (;;) {
        if (state === 'version') {
          if (buf.length < 12) return;
          if (buf.toString('latin1', 0, 12) !== 'RFB 003.008\n') {
            this.fail(conn, 'bad version');
            return;
          }
          buf = buf.subarray(12);
          state = 'security';
          socket.write(Buffer.from([1, 1])); // one type: None
        } else if (state === 'security') {
          if (buf.length < 1) return;
          if (buf[0] !== 1) {
            this.fail(conn, `security type ${buf[0]}`);
            return;
          }
          buf = buf.subarray(1);
          state = 'init';
          socket.write(Buffer.from([0, 0, 0, 0])); // SecurityResult OK
        } else if (state === 'init') {
          if (buf.length < 1) return;
          conn.sharedFlag = buf[0];
          buf = buf.subarray(1);
          state = 'messages';
          socket.write(serverInit('recording'));
        } else {
          const length = messageLength(buf);
          if (length === 'invalid') {
            this.fail(conn, `unknown message ${buf[0]}`);
            return;
          }
          if (length === undefined || buf.length < length) return;
          const bytes = Buffer.from(buf.subarray(0, length));
          buf = buf.subarray(length);
          conn.messages.push({
            type: bytes[0],
            subtype: bytes[0] === 255 ? bytes[1] : undefined,
            bytes,
          });
          if (bytes[0] === 3) socket.write(onePixelUpdate());
        }
      }
    });
  }

  private fail(conn: RecordedConnection, error: string) {
    conn.error = error;
    conn.socket.destroy();
  }
}

function messageLength(b: Buffer): number | undefined | 'invalid' {
  if (b.length < 1) return undefined;
  const need = (n: number) => (b.length < n ? undefined : true);
  switch (b[0]) {
    case 0:
      return 20;
    case 2:
      return need(4) && 4 + 4 * b.readUInt16BE(2);
    case 3:
      return 10;
    case 4:
      return 8;
    case 5:
      return 6;
    case 6:
      return need(8) && 8 + Math.abs(b.readInt32BE(4));
    case 150:
      return 10;
    case 248:
      return need(9) && 9 + b[8];
    case 250:
      return 4;
    case 251:
      return need(8) && 8 + 16 * b[6];
    case 255:
      if (!need(4)) return undefined;
      if (b[1] === 0) return 12;
      if (b[1] === 1) return b.readUInt16BE(2) === 2 ? 10 : 4;
      return 'invalid';
    default:
      return 'invalid';
  }
}

function serverInit(name: string): Buffer {
  const head = Buffer.alloc(24);
  head.writeUInt16BE(640, 0);
  head.writeUInt16BE(480, 2);
  Buffer.from([32, 24, 0, 1, 0, 255, 0, 255, 0, 255, 16, 8, 0, 0, 0, 0]).copy(
    head,
    4,
  );
  head.writeUInt32BE(name.length, 20);
  return Buffer.concat([head, Buffer.from(name)]);
}

function onePixelUpdate(): Buffer {
  const b = Buffer.alloc(4 + 12 + 4);
  b[0] = 0; // FramebufferUpdate
  b.writeUInt16BE(1, 2);
  b.writeUInt16BE(1, 8); // w
  b.writeUInt16BE(1, 10); // h
  b.writeInt32BE(0, 12); // Raw
  return b;
}
