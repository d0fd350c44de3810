// A minimal QMP client (QEMU Machine Protocol: one JSON object per line) over
// the unix socket that `-qmp unix:PATH,server=on,wait=off` opens.
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

type Reply = { return?: unknown; error?: { class: string; desc: string } };

export class Qmp {
  private readonly socket: net.Socket;
  private buffer = '';
  private greeted = false;
  private onGreeting?: () => void;
  private readonly waiting: Array<(reply: Reply) => void> = [];

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.setEncoding('utf8');
    socket.on('data', chunk => this.receive(String(chunk)));
  }

  /** Connects (retrying while QEMU creates the socket) and negotiates capabilities. */
  static async connect(path: string, timeoutMs = 10_000): Promise<Qmp> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const socket = await new Promise<net.Socket>((resolve, reject) => {
          const s = net.createConnection(path, () => resolve(s));
          s.once('error', reject);
        });
        const qmp = new Qmp(socket);
        await qmp.greeting();
        await qmp.execute('qmp_capabilities');
        return qmp;
      } catch (error) {
        if (Date.now() > deadline) throw new Error(`QMP at ${path}: ${error}`);
        await sleep(100);
      }
    }
  }

  /** Runs one command; resolves with its `return` value, rejects on `error`. */
  execute(command: string, args?: Record<string, unknown>): Promise<any> {
    return new Promise((resolve, reject) => {
      this.waiting.push(reply =>
        reply.error
          ? reject(new Error(`${command}: ${reply.error.desc}`))
          : resolve(reply.return),
      );
      this.socket.write(
        `${JSON.stringify({ execute: command, arguments: args })}\n`,
      );
    });
  }

  /** Runs a human monitor (HMP) command such as `info status`. */
  hmp(commandLine: string): Promise<string> {
    return this.execute('human-monitor-command', {
      'command-line': commandLine,
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private greeting(): Promise<void> {
    if (this.greeted) return Promise.resolve();
    return new Promise(resolve => (this.onGreeting = resolve));
  }

  private receive(chunk: string): void {
    this.buffer += chunk;
    let newline: number;
    while ((newline = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, newline).trim();
      this.buffer = this.buffer.slice(newline + 1);
      if (!line) continue;
      const message = JSON.parse(line);
      if ('QMP' in message) {
        this.greeted = true;
        this.onGreeting?.();
      } else if ('return' in message || 'error' in message) {
        this.waiting.shift()?.(message);
      } // asynchronous events ({"event": ...}) are not needed by the tests
    }
  }
}
