// Gateway bench: the same RFB server reached three ways in one run -
// direct TCP, Debian's websockify, and our VncGateway - measuring throughput,
// proxy CPU seconds per GB (whole proxy process tree, from /proc) and
// small-message round-trip latency. Prints the measured numbers and ratios.
//   node bench/gateway/run.ts   (or npm run bench:gateway)
// Environment: BENCH_BYTES (default 1 GiB per path), BENCH_ROUND_TRIPS (5000);
// diagnostics: BENCH_SYS_ONLY=1 counts kernel time only, BENCH_CPU_PROF=DIR
// writes a CPU profile of the gateway process, BENCH_CHUNKS=1 prints the
// gateway's read sizes. The bench client runs in this process and the RFB
// server in a child; only the proxy's process tree is charged CPU time.
// Ports 7110-7112 on 127.0.0.1.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { createRequire } from 'node:module';

const root = path.resolve(import.meta.dirname, '../..');
const require = createRequire(path.join(root, 'package.json'));
const WebSocket = require('ws');

const BYTES = Number(process.env.BENCH_BYTES ?? 1 << 30);
const ROUND_TRIPS = Number(process.env.BENCH_ROUND_TRIPS ?? 5000);
const PORTS = { server: 7110, websockify: 7111, gateway: 7112 };
const CLK_TCK = 100; // Linux USER_HZ

interface Channel {
  send(data: Buffer): void;
  onData(cb: (data: Buffer) => void): void;
  close(): void;
}

const children: ChildProcess[] = [];
function start(
  command: string,
  args: string[],
  readyLine?: string,
): Promise<ChildProcess> {
  const child = spawn(command, args, {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stderr = '';
  child.stderr!.on('data', d => {
    stderr += d;
    if (process.env.BENCH_CHUNKS) process.stderr.write(d);
  });
  return new Promise((resolve, reject) => {
    child.once('exit', code =>
      reject(new Error(`${command} exited with ${code}: ${stderr}`)),
    );
    if (readyLine) {
      child.stdout!.on(
        'data',
        d => String(d).includes(readyLine) && resolve(child),
      );
    } else {
      resolve(child);
    }
  });
}

async function waitForPort(port: number) {
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise<boolean>(resolve => {
      const s = net.connect(
        port,
        '127.0.0.1',
        () => (s.destroy(), resolve(true)),
      );
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise(r => setTimeout(r, 50));
  }
  throw new Error(`port ${port} never opened`);
}

/** CPU ticks of a process and all its descendants, including reaped children. */
function treeTicks(pid: number): number {
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

function tcpChannel(port: number): Promise<Channel> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.setNoDelay(true);
      resolve({
        send: d => socket.write(d),
        onData: cb => socket.on('data', cb),
        close: () => socket.destroy(),
      });
    });
    socket.once('error', reject);
  });
}

function wsChannel(url: string, protocols: string[]): Promise<Channel> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols, { perMessageDeflate: false });
    ws.once('open', () => {
      ws._socket.setNoDelay(true);
      resolve({
        send: (d: Buffer) => ws.send(d),
        onData: (cb: (d: Buffer) => void) => ws.on('message', cb),
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

async function measure(
  name: string,
  channel: Channel,
  proxyPid: number | undefined,
) {
  const r = reader(channel);
  await r.read(12);
  channel.send(Buffer.from('RFB 003.008\n'));
  await r.read(2);
  channel.send(Buffer.from([1]));
  await r.read(4);
  channel.send(Buffer.from([1]));
  const init = await r.read(24);
  await r.read(init.readUInt32BE(20));

  // Round trips first, on a quiet connection.
  const samples: number[] = [];
  for (let i = 0; i < ROUND_TRIPS; i++) {
    const t0 = process.hrtime.bigint();
    channel.send(fur(1));
    await r.read(4);
    samples.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  samples.sort((a, b) => a - b);

  const cpu0 = proxyPid ? treeTicks(proxyPid) : 0;
  const t0 = process.hrtime.bigint();
  const done = r.discard(BYTES);
  channel.send(fur(0));
  await done;
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpuSeconds = proxyPid ? (treeTicks(proxyPid) - cpu0) / CLK_TCK : null;
  channel.close();
  const gb = BYTES / 1e9;
  return {
    name,
    mbPerS: BYTES / 1e6 / seconds,
    cpuSecondsPerGb: cpuSeconds === null ? null : cpuSeconds / gb,
    p50: samples[Math.floor(samples.length * 0.5)],
    p99: samples[Math.floor(samples.length * 0.99)],
  };
}

async function main() {
  console.log(
    `gateway bench: ${BYTES} bytes per path, ${ROUND_TRIPS} round trips, loopback, ${
      require('node:os').cpus().length
    } cores`,
  );
  await start(
    process.execPath,
    [
      path.join(import.meta.dirname, 'rfbBenchServer.ts'),
      String(PORTS.server),
      String(BYTES),
    ],
    'ready',
  );

  const results = [];
  results.push(
    await measure('direct TCP', await tcpChannel(PORTS.server), undefined),
  );

  const websockify = await start('websockify', [
    `127.0.0.1:${PORTS.websockify}`,
    `127.0.0.1:${PORTS.server}`,
  ]);
  await waitForPort(PORTS.websockify);
  results.push(
    await measure(
      'websockify',
      await wsChannel(`ws://127.0.0.1:${PORTS.websockify}/`, ['binary']),
      websockify.pid,
    ),
  );

  const gateway = await start(
    process.execPath,
    [
      ...(process.env.BENCH_CPU_PROF
        ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`]
        : []),
      '--require',
      require.resolve('@backstage/cli-node/config/nodeTransform.cjs'),
      path.join(import.meta.dirname, 'gatewayHost.ts'),
      String(PORTS.gateway),
      String(PORTS.server),
    ],
    'ready',
  );
  results.push(
    await measure(
      'loco gateway',
      await wsChannel(
        `ws://127.0.0.1:${PORTS.gateway}/api/loco/environments/bench/instances/0/vnc`,
        ['binary', 'backstage-token.bench-token'],
      ),
      gateway.pid,
    ),
  );

  const [direct, wsfy, ours] = results;
  const f = (n: number | null, d = 1) => (n === null ? 'n/a' : n.toFixed(d));
  console.log(
    '\npath           MB/s    x direct  proxy CPU-s/GB  p50 us  p99 us  added p50 us',
  );
  for (const r of results) {
    console.log(
      `${r.name.padEnd(13)} ${f(r.mbPerS, 0).padStart(6)}  ${f(
        r.mbPerS / direct.mbPerS,
        2,
      ).padStart(8)}  ${f(r.cpuSecondsPerGb, 2).padStart(14)}  ${f(
        r.p50,
      ).padStart(6)}  ${f(r.p99).padStart(6)}  ${f(r.p50 - direct.p50).padStart(
        12,
      )}`,
    );
  }
  const throughputRatio = ours.mbPerS / wsfy.mbPerS;
  const cpuRatio = ours.cpuSecondsPerGb! / wsfy.cpuSecondsPerGb!;
  const addedP50 = ours.p50 - direct.p50;
  console.log('\ngateway vs websockify (targets from issue 5):');
  console.log(
    `  throughput        ${throughputRatio.toFixed(
      2,
    )}x websockify   target >= 1.00x  ${
      throughputRatio >= 1 ? 'met' : 'NOT met'
    }`,
  );
  console.log(
    `  CPU per GB        ${cpuRatio.toFixed(
      2,
    )}x websockify   target <= 0.70x  ${cpuRatio <= 0.7 ? 'met' : 'NOT met'}`,
  );
  console.log(
    `  added p50 latency ${addedP50.toFixed(1)} us (websockify ${(
      wsfy.p50 - direct.p50
    ).toFixed(1)} us)   target < 50 us  ${addedP50 < 50 ? 'met' : 'NOT met'}`,
  );
}

main()
  .catch(error => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(() => {
    for (const child of children) child.kill('SIGTERM');
  });
