import net from 'node:net';
import { EventEmitter } from 'node:events';

type Pending = {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
};

/**
 * A minimal QEMU Machine Protocol client over a unix socket: one connection,
 * commands matched to replies by id, asynchronous events re-emitted as 'event'.
 */
export class QmpClient extends EventEmitter {
  private buffer = '';
  private nextId = 1;
  private readonly pending = new Map<string, Pending>();
  private closed = false;

  private constructor(private readonly socket: net.Socket) {
    super();
    socket.setEncoding('utf8');
    socket.on('data', chunk => this.onData(chunk as unknown as string));
    socket.on('close', () => this.onClose());
    socket.on('error', () => this.onClose());
  }

  /**
   * Connects, waits for the greeting and leaves capabilities negotiation mode.
   * QEMU serves one QMP client at a time and greets only once its main loop
   * runs (after `-loadvm` has loaded the snapshot): a connection that gives up
   * must be closed, or it keeps the only client slot and QMP never answers again.
   */
  static async connect(path: string, timeoutMs = 10_000): Promise<QmpClient> {
    const socket = net.createConnection(path);
    const client = new QmpClient(socket);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`QMP greeting timeout on ${path}`)),
        timeoutMs,
      );
      client.once('greeting', () => {
        clearTimeout(timer);
        resolve();
      });
      socket.once('error', err => {
        clearTimeout(timer);
        reject(err);
      });
    }).catch(error => {
      socket.destroy();
      throw error;
    });
    try {
      await client.execute('qmp_capabilities');
    } catch (error) {
      socket.destroy();
      throw error;
    }
    return client;
  }

  execute<T = unknown>(
    command: string,
    args?: Record<string, unknown>,
    timeoutMs = 5000,
  ): Promise<T> {
    if (this.closed) return Promise.reject(new Error('QMP connection closed'));
    const id = String(this.nextId++);
    const message = JSON.stringify({
      execute: command,
      ...(args ? { arguments: args } : {}),
      id,
    });
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`QMP ${command} timed out`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: resolve as (v: unknown) => void,
        reject,
        timer,
      });
      this.socket.write(`${message}\n`);
    });
  }

  close(): void {
    this.socket.destroy();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private onData(chunk: string) {
    this.buffer += chunk;
    let newline = this.buffer.indexOf('\n');
    while (newline >= 0) {
      const line = this.buffer.slice(0, newline).trim();
      this.buffer = this.buffer.slice(newline + 1);
      if (line) this.onMessage(JSON.parse(line));
      newline = this.buffer.indexOf('\n');
    }
  }

  private onMessage(message: any) {
    if (message.QMP) {
      this.emit('greeting', message.QMP);
    } else if (message.event) {
      this.emit('event', message);
    } else if (message.id !== undefined) {
      const pending = this.pending.get(String(message.id));
      if (!pending) return;
      this.pending.delete(String(message.id));
      clearTimeout(pending.timer);
      if (message.error) {
        pending.reject(new Error(`QMP: ${message.error.desc}`));
      } else {
        pending.resolve(message.return);
      }
    }
  }

  private onClose() {
    if (this.closed) return;
    this.closed = true;
    for (const { reject, timer } of this.pending.values()) {
      clearTimeout(timer);
      reject(new Error('QMP connection closed'));
    }
    this.pending.clear();
    this.emit('close');
  }
}
