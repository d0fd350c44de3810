// Gateway bench: the same RFB server reached four ways in one run - direct
// TCP, Debian's websockify, and our VncGateway with its native splice relay
// and with its JavaScript fallback - measuring throughput, proxy CPU seconds
// per GB (whole proxy process tree, from /proc) and small-message round-trip
// latency. Prints the measured numbers and ratios.
//   node bench/gateway/run.ts   (or npm run bench:gateway)
// The proxies reach the server two ways, each a leg of its own: over a unix
// socket, as the local runtime reaches QEMU's VNC, and over TCP, as the
// gateway reaches a Kubernetes pod. The browser side is always TCP.
// Environment: BENCH_LEGS (default "unix,tcp"), BENCH_ROUNDS (default 5 bulk
// rounds: every path once per round, medians printed), BENCH_LATENCY_ROUNDS
// (default 15: a latency round takes about a second per path, so more of
// them cost little), BENCH_BYTES (512 MiB per path and round),
// BENCH_ROUND_TRIPS (10000 per latency round); diagnostics: BENCH_SYS_ONLY=1 counts
// kernel time only, BENCH_CPU_PROF=DIR writes CPU profiles of the gateway
// processes, BENCH_CHUNKS=1 shows the proxies' stderr. The bench client runs
// in this process and the RFB server in a child; only the proxy's process
// tree is charged CPU time. Ports 7110-7113 on 127.0.0.1.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import {
  measureLatency,
  measureThroughput,
  tcpChannel,
  wsChannel,
  type BulkFigures,
  type LatencyFigures,
  type PathFigures,
} from './measure.ts';
import { start, stop, stopAll, waitForPort } from './processes.ts';
import { medianOf, printLeg } from './report.ts';

const root = path.resolve(import.meta.dirname, '../..');
const require = createRequire(path.join(root, 'package.json'));

const BYTES = Number(process.env.BENCH_BYTES ?? 1 << 29);
const ROUND_TRIPS = Number(process.env.BENCH_ROUND_TRIPS ?? 10000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const LATENCY_ROUNDS = Number(process.env.BENCH_LATENCY_ROUNDS ?? 15);
const LEGS = (process.env.BENCH_LEGS ?? 'unix,tcp').split(',');
const PORTS = {
  server: 7110,
  websockify: 7111,
  gateway: 7112,
  jsGateway: 7113,
};
const TOKEN_PROTOCOLS = ['binary', 'backstage-token.bench-token'];

async function startWebsockify(vncTarget: string) {
  const target = /^\d+$/.test(vncTarget)
    ? [`127.0.0.1:${vncTarget}`]
    : [`--unix-target=${vncTarget}`];
  const websockify = await start('websockify', [
    `127.0.0.1:${PORTS.websockify}`,
    ...target,
  ]);
  await waitForPort(PORTS.websockify);
  // The port may belong to a leftover websockify; ours must still be running.
  await new Promise(r => setTimeout(r, 200));
  if (websockify.exitCode !== null) {
    throw new Error(
      `websockify exited (${websockify.exitCode}); is port ${PORTS.websockify} taken?`,
    );
  }
  return websockify;
}

const startGateway = (port: number, vncTarget: string, relay: string) =>
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
      vncTarget,
      relay,
    ],
    'ready',
  );

/** Every path of one leg, side by side in every round. */
async function measureLeg(vncTarget: string): Promise<PathFigures[]> {
  const websockify = await startWebsockify(vncTarget);
  const gateway = await startGateway(PORTS.gateway, vncTarget, 'native');
  const jsGateway = await startGateway(PORTS.jsGateway, vncTarget, 'js');
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
      open: () => wsChannel(gatewayUrl(PORTS.gateway), TOKEN_PROTOCOLS),
      pid: gateway.pid,
    },
    {
      // The fallback where the native relay is not built (or zeroCopy: false).
      name: 'gateway, JS',
      open: () => wsChannel(gatewayUrl(PORTS.jsGateway), TOKEN_PROTOCOLS),
      pid: jsGateway.pid,
    },
  ];
  // Side by side: every round measures every path, so a noisy moment of the
  // machine hits all of them, and the medians drop the outliers. Latency
  // rounds come first, on a quiet machine: right after a bulk transfer the
  // client's garbage collection and the freed socket memory would be measured.
  const latencies = paths.map(() => [] as LatencyFigures[]);
  // One unmeasured round first: the proxies' code paths get compiled (JIT)
  // and their buffers allocated, as in a backend that has served a while.
  for (const p of paths) await measureLatency(await p.open(), ROUND_TRIPS);
  for (let round = 0; round < LATENCY_ROUNDS; round++) {
    for (const [i, p] of paths.entries()) {
      latencies[i].push(await measureLatency(await p.open(), ROUND_TRIPS));
    }
  }
  const bulks = paths.map(() => [] as BulkFigures[]);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, p] of paths.entries()) {
      bulks[i].push(await measureThroughput(await p.open(), p.pid, BYTES));
    }
  }
  for (const child of [websockify, gateway, jsGateway]) stop(child);
  // Let the port go before the next leg's websockify binds it.
  await new Promise(r => setTimeout(r, 300));
  return paths.map((p, i) => ({
    name: p.name,
    ...medianOf(latencies[i]),
    ...medianOf(bulks[i]),
  }));
}

async function main() {
  const load = os
    .loadavg()
    .map(l => l.toFixed(2))
    .join(' ');
  console.log(
    `gateway bench: per path ${ROUNDS} rounds of ${BYTES} bytes and ${LATENCY_ROUNDS} rounds of ${ROUND_TRIPS} round trips, loopback, ${
      os.cpus().length
    } cores, load average ${load}`,
  );
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loco-gw-bench-'));
  const socketPath = path.join(dir, 'vnc.sock');
  try {
    await start(
      process.execPath,
      [
        path.join(import.meta.dirname, 'rfbBenchServer.ts'),
        String(PORTS.server),
        String(BYTES),
        socketPath,
      ],
      'ready',
    );
    const legs: Record<string, [string, string]> = {
      unix: [
        socketPath,
        'proxies reach VNC over a unix socket (local runtime)',
      ],
      tcp: [
        String(PORTS.server),
        'proxies reach VNC over TCP (Kubernetes pod)',
      ],
    };
    for (const leg of LEGS) {
      if (!legs[leg]) throw new Error(`unknown leg ${leg} (unix, tcp)`);
      const [target, title] = legs[leg];
      printLeg(title, await measureLeg(target));
    }
  } finally {
    stopAll();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch(error => {
  console.error(error);
  process.exitCode = 1;
});
