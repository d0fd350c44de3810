// Gateway bench: the same RFB server reached four ways in one run -
// direct TCP, Debian's websockify, and our VncGateway with its native splice
// relay and with its JavaScript fallback - measuring throughput,
// proxy CPU seconds per GB (whole proxy process tree, from /proc) and
// small-message round-trip latency. Prints the measured numbers and ratios.
//   node bench/gateway/run.ts   (or npm run bench:gateway)
// Environment: BENCH_ROUNDS (default 5: every path once per round, medians
// printed), BENCH_BYTES (512 MiB per path and round), BENCH_ROUND_TRIPS (2000);
// diagnostics: BENCH_SYS_ONLY=1 counts kernel time only, BENCH_CPU_PROF=DIR
// writes a CPU profile of the gateway process, BENCH_CHUNKS=1 shows the proxies'
// stderr. The bench client runs in this process and the RFB
// server in a child; only the proxy's process tree is charged CPU time.
// Ports 7110-7113 on 127.0.0.1.
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { createRequire } from 'node:module';
import {
  measureLatency,
  measureThroughput,
  tcpChannel,
  wsChannel,
  type PathFigures,
} from './measure.ts';

const root = path.resolve(import.meta.dirname, '../..');
const require = createRequire(path.join(root, 'package.json'));

const BYTES = Number(process.env.BENCH_BYTES ?? 1 << 29);
const ROUND_TRIPS = Number(process.env.BENCH_ROUND_TRIPS ?? 2000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const PORTS = {
  server: 7110,
  websockify: 7111,
  gateway: 7112,
  jsGateway: 7113,
};

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

const median = (values: number[]) => {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/** One figure per path: the median of every round's measurement. */
function medianOf(rounds: PathFigures[]): PathFigures {
  const cpu = rounds.map(r => r.cpuSecondsPerGb);
  return {
    name: rounds[0].name,
    mbPerS: median(rounds.map(r => r.mbPerS)),
    cpuSecondsPerGb: cpu.includes(null) ? null : median(cpu as number[]),
    p50: median(rounds.map(r => r.p50)),
    p99: median(rounds.map(r => r.p99)),
  };
}

async function main() {
  console.log(
    `gateway bench: ${ROUNDS} rounds of ${BYTES} bytes and ${ROUND_TRIPS} round trips per path, loopback, ${
      require('node:os').cpus().length
    } cores, load average ${require('node:os')
      .loadavg()
      .map((l: number) => l.toFixed(2))
      .join(' ')}`,
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
  const websockify = await start('websockify', [
    `127.0.0.1:${PORTS.websockify}`,
    `127.0.0.1:${PORTS.server}`,
  ]);
  await waitForPort(PORTS.websockify);
  // The port may belong to a leftover websockify; ours must still be running.
  await new Promise(r => setTimeout(r, 200));
  if (websockify.exitCode !== null) {
    throw new Error(
      `websockify exited (${websockify.exitCode}); is port ${PORTS.websockify} taken?`,
    );
  }
  const startGateway = (port: number, relay: 'native' | 'js') =>
    start(
      process.execPath,
      [
        ...(process.env.BENCH_CPU_PROF
          ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`]
          : []),
        '--require',
        require.resolve('@backstage/cli-node/config/nodeTransform.cjs'),
        path.join(import.meta.dirname, 'gatewayHost.ts'),
        String(port),
        String(PORTS.server),
        relay,
      ],
      'ready',
    );
  const gateway = await startGateway(PORTS.gateway, 'native');
  const jsGateway = await startGateway(PORTS.jsGateway, 'js');
  const gatewayUrl = (port: number) =>
    `ws://127.0.0.1:${port}/api/loco/environments/bench/instances/0/vnc`;

  const paths = [
    {
      name: 'direct TCP',
      open: () => tcpChannel(PORTS.server),
      pid: undefined,
    },
    {
      name: 'websockify',
      open: () => wsChannel(`ws://127.0.0.1:${PORTS.websockify}/`, ['binary']),
      pid: websockify.pid,
    },
    {
      name: 'loco gateway',
      open: () =>
        wsChannel(gatewayUrl(PORTS.gateway), [
          'binary',
          'backstage-token.bench-token',
        ]),
      pid: gateway.pid,
    },
    {
      // The fallback where the native relay is not built (or zeroCopy: false).
      name: 'gateway, JS',
      open: () =>
        wsChannel(gatewayUrl(PORTS.jsGateway), [
          'binary',
          'backstage-token.bench-token',
        ]),
      pid: jsGateway.pid,
    },
  ];
  // Side by side: every round measures every path, so a noisy moment of the
  // machine hits all of them, and the medians drop the outliers. Latency
  // rounds come first, on a quiet machine: right after a bulk transfer the
  // client's garbage collection and the freed socket memory would be measured.
  const latencies = paths.map(() => [] as Pick<PathFigures, 'p50' | 'p99'>[]);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, p] of paths.entries()) {
      latencies[i].push(await measureLatency(await p.open(), ROUND_TRIPS));
    }
  }
  const rounds: PathFigures[][] = paths.map(() => []);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, p] of paths.entries()) {
      const bulk = await measureThroughput(await p.open(), p.pid, BYTES);
      rounds[i].push({ name: p.name, ...latencies[i][round], ...bulk });
    }
  }
  const results = rounds.map(medianOf);
  const [direct, wsfy, ours, oursInJs] = results;
  const f = (n: number | null, d = 1) => (n === null ? 'n/a' : n.toFixed(d));
  console.log(
    `\nmedians of ${ROUNDS} rounds\npath           MB/s    x direct  proxy CPU-s/GB  p50 us  p99 us  added p50 us`,
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
  console.log(
    `\nJavaScript relay (the fallback without the native one): throughput ${(
      oursInJs.mbPerS / wsfy.mbPerS
    ).toFixed(2)}x websockify, CPU per GB ${(
      oursInJs.cpuSecondsPerGb! / wsfy.cpuSecondsPerGb!
    ).toFixed(2)}x, added p50 ${(oursInJs.p50 - direct.p50).toFixed(1)} us`,
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
