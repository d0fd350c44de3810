// Measurement helpers of the gateway bench (see run.ts): client channels over
// TCP and WebSocket, a byte-exact reader, proxy CPU time from /proc, and one
// measurement of a path (round-trip latency, then bulk throughput).
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { createRequire } from 'node:module';

const root = path.resolve(import.meta.dirname, '../..');
const require = createRequire(path.join(root, 'package.json'));
const WebSocket = require('ws');

const CLK_TCK = 100; // Linux USER_HZ

export interface Channel {
  send(data: Buffer): void;
  onData(cb: (data: Buffer) => void): void;
  close(): void;
}

export interface LatencyFigures {
  p50: number;
  p99: number;
}

export interface BulkFigures {
  mbPerS: number;
  cpuSecondsPerGb: number | null;
}

export interface PathFigures extends LatencyFigures, BulkFigures {
  name: string;
}

/** CPU ticks of a process and all its descendants, including reaped children. */
export function treeTicks(pid: number): number {
  const stats = new Map<number, { ppid: number; ticks: number }>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // fields[0] is state (field 3): ppid=4, utime=14, stime=15, cutime=16, cstime=17
      const ticks = process.env.BENCH_SYS_ONLY
        ? Number(fields[12]) + Number(fields[14])
        : Number(fields[11]) +
          Number(fields[12]) +
          Number(fields[13]) +
          Number(fields[14]);
      stats.set(Number(entry), { ppid: Number(fields[1]), ticks });
    } catch {
      // the process ended while listing
    }
  }
  let total = 0;
  const walk = (p: number) => {
    total += stats.get(p)?.ticks ?? 0;
    for (const [child, s] of stats) if (s.ppid === p) walk(child);
  };
  walk(pid);
  return total;
}

/**
 * Delivers data to the one `onData` callback, holding what arrives before it
 * is set: a proxy's first bytes (the RFB greeting) can arrive in the same read
 * as the WebSocket upgrade response, and ws emits them before a promise
 * continuation could attach a listener.
 */
function holdUntilListened() {
  let listener: ((data: Buffer) => void) | undefined;
  const held: Buffer[] = [];
  return {
    push(data: Buffer) {
      if (listener) listener(data);
      else held.push(data);
    },
    listen(cb: (data: Buffer) => void) {
      listener = cb;
      for (const data of held.splice(0)) cb(data);
    },
  };
}

export function tcpChannel(port: number): Promise<Channel> {
  return new Promise((resolve, reject) => {
    const incoming = holdUntilListened();
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.setNoDelay(true);
      resolve({
        send: d => socket.write(d),
        onData: incoming.listen,
        close: () => socket.destroy(),
      });
    });
    socket.on('data', incoming.push);
    socket.once('error', reject);
  });
}

export function wsChannel(url: string, protocols: string[]): Promise<Channel> {
  return new Promise((resolve, reject) => {
    const incoming = holdUntilListened();
    const ws = new WebSocket(url, protocols, { perMessageDeflate: false });
    ws.on('message', incoming.push);
    ws.once('open', () => {
      ws._socket.setNoDelay(true);
      resolve({
        send: (d: Buffer) => ws.send(d),
        onData: incoming.listen,
        close: () => ws.terminate(),
      });
    });
    ws.once('error', reject);
  });
}

/** Reads exact byte counts from a channel. */
function reader(channel: Channel) {
  let buf = Buffer.alloc(0);
  let counting: { left: number; done: () => void } | undefined;
  let waiter: (() => void) | undefined;
  channel.onData(d => {
    if (counting) {
      counting.left -= d.length;
      if (counting.left <= 0) {
        const { done } = counting;
        counting = undefined;
        done();
      }
      return;
    }
    buf = buf.length ? Buffer.concat([buf, d]) : d;
    waiter?.();
  });
  return {
    async read(n: number): Promise<Buffer> {
      while (buf.length < n) await new Promise<void>(r => (waiter = r));
      waiter = undefined;
      const out = buf.subarray(0, n);
      buf = buf.subarray(n);
      return out;
    },
    /** Counts `n` bytes without keeping them. */
    discard(n: number): Promise<void> {
      return new Promise(done => (counting = { left: n - buf.length, done }));
    },
  };
}

const fur = (incremental: number) =>
  Buffer.from([3, incremental, 0, 0, 0, 0, 0, 1, 0, 1]);

/** Opens an RFB session (security None) and returns its reader. */
async function handshake(channel: Channel) {
  const r = reader(channel);
  await r.read(12);
  channel.send(Buffer.from('RFB 003.008\n'));
  await r.read(2);
  channel.send(Buffer.from([1]));
  await r.read(4);
  channel.send(Buffer.from([1]));
  const init = await r.read(24);
  await r.read(init.readUInt32BE(20));
  return r;
}

/** Small round trips (FramebufferUpdateRequest, empty update), in microseconds. */
export async function measureLatency(
  channel: Channel,
  roundTrips: number,
): Promise<LatencyFigures> {
  const r = await handshake(channel);
  const samples: number[] = [];
  for (let i = 0; i < roundTrips; i++) {
    const t0 = process.hrtime.bigint();
    channel.send(fur(1));
    await r.read(4);
    samples.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  channel.close();
  samples.sort((a, b) => a - b);
  return {
    p50: samples[Math.floor(samples.length * 0.5)],
    p99: samples[Math.floor(samples.length * 0.99)],
  };
}

/** One bulk update of `bytes`: throughput, and the proxy's CPU time per GB. */
export async function measureThroughput(
  channel: Channel,
  proxyPid: number | undefined,
  bytes: number,
): Promise<BulkFigures> {
  const r = await handshake(channel);
  const cpu0 = proxyPid ? treeTicks(proxyPid) : 0;
  const t0 = process.hrtime.bigint();
  const done = r.discard(bytes);
  channel.send(fur(0));
  await done;
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpuSeconds = proxyPid ? (treeTicks(proxyPid) - cpu0) / CLK_TCK : null;
  channel.close();
  return {
    mbPerS: bytes / 1e6 / seconds,
    cpuSecondsPerGb: cpuSeconds === null ? null : cpuSeconds / (bytes / 1e9),
  };
}
