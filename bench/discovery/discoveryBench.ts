/**
 * Discovery benchmark: `GET /api/loco/environments` through the real router
 * and the real KubernetesRuntime (client-node informers against two fake API
 * servers that speak the list/watch protocol), at 1,000 instances in 100
 * environments. Prints measured latency percentiles and how many requests the
 * API servers received while 10 viewers kept refreshing.
 *
 * Env: BENCH_WINDOW_S (viewer phase, default 30), BENCH_REQUESTS (sequential
 * latency samples, default 2000), BENCH_VIEWER_INTERVAL_MS (default 1000),
 * BENCH_HEALTH_INTERVAL_MS (health poll interval, default 10000 as in production).
 */
import http from 'node:http';
import os from 'node:os';
import type { AddressInfo } from 'node:net';
import express from 'express';
import type { LoggerService } from '@backstage/backend-plugin-api';
import { mockServices } from '@backstage/backend-test-utils';
import {
  KubernetesRuntime,
  LocoRuntimes,
  type ClusterConfig,
} from '@loco-portal/plugin-loco-node';
import { createRouter } from '../../plugins/loco-backend/src/service/router';
import { FakeKubernetesApiServer } from '../../plugins/loco-node/src/kubernetes/__testUtils__/FakeKubernetesApiServer';
import { FakeEmulatorHealthServer } from '../../plugins/loco-node/src/kubernetes/__testUtils__/FakeEmulatorHealthServer';
import {
  emulatorPod,
  emulatorStatefulSet,
} from '../../plugins/loco-node/src/kubernetes/__testUtils__/emulatorObjects';

const ENVIRONMENTS = 100;
const INSTANCES_PER_ENV = 10;
const CLUSTERS = 2;
const VIEWERS = 10;
const WINDOW_S = Number(process.env.BENCH_WINDOW_S ?? 30);
const SAMPLES = Number(process.env.BENCH_REQUESTS ?? 2000);
const VIEWER_INTERVAL_MS = Number(process.env.BENCH_VIEWER_INTERVAL_MS ?? 1000);
const HEALTH_INTERVAL_MS = Number(
  process.env.BENCH_HEALTH_INTERVAL_MS ?? 10_000,
);

function percentile(sorted: number[], p: number): number {
  return sorted[
    Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)
  ];
}

async function get(
  agent: http.Agent,
  port: number,
): Promise<{ ms: number; bytes: number; status: number }> {
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    http
      .get(
        { host: '127.0.0.1', port, path: '/api/loco/environments', agent },
        res => {
          let bytes = 0;
          res.on('data', c => (bytes += c.length));
          res.on('end', () =>
            resolve({
              ms: Number(process.hrtime.bigint() - started) / 1e6,
              bytes,
              status: res.statusCode ?? 0,
            }),
          );
        },
      )
      .on('error', reject);
  });
}

async function main() {
  // Warnings and errors only: the bench prints its own figures.
  const logger: LoggerService = {
    error: m => console.error(m),
    warn: m => console.warn(m),
    info: () => {},
    debug: () => {},
    child: () => logger,
  };
  const health = new FakeEmulatorHealthServer('127.0.0.1');
  const healthPort = await health.start();
  const apis: FakeKubernetesApiServer[] = [];
  for (let c = 0; c < CLUSTERS; c++) {
    // Real API servers send bookmarks about once a minute; every 10 s here.
    const api = new FakeKubernetesApiServer({
      token: 'bench',
      bookmarkIntervalMs: 10_000,
    });
    await api.start();
    apis.push(api);
  }
  for (let e = 0; e < ENVIRONMENTS; e++) {
    const api = apis[e % CLUSTERS];
    const name = `bench-${String(e).padStart(3, '0')}`;
    api.apply(
      'statefulsets',
      emulatorStatefulSet(name, { replicas: INSTANCES_PER_ENV }),
    );
    for (let i = 0; i < INSTANCES_PER_ENV; i++)
      api.apply('pods', emulatorPod(name, i));
  }
  const clusters: ClusterConfig[] = apis.map((api, i) => ({
    name: `bench-${i}`,
    url: api.url,
    skipTLSVerify: true,
    authProvider: 'serviceAccount',
    serviceAccountToken: 'bench',
    namespaces: ['loco'],
    emulatorAccess: 'direct',
  }));
  const kubernetes = new KubernetesRuntime({
    clusters,
    logger,
    ports: { vnc: 5901, health: healthPort },
    health: { intervalMs: HEALTH_INTERVAL_MS },
  });
  const runtimes = new LocoRuntimes([kubernetes]);
  kubernetes.start();

  const app = express();
  app.use(
    '/api/loco',
    await createRouter({
      runtimes,
      httpAuth: mockServices.httpAuth(),
      permissions: mockServices.permissions(),
    }),
  );
  const server = app.listen(0, '127.0.0.1');
  // Viewers keep connections alive; do not let the server race them on idle ones.
  server.keepAliveTimeout = 60_000;
  await new Promise(resolve => server.once('listening', resolve));
  const port = (server.address() as AddressInfo).port;

  // Synced: every instance listed and measured once by the health poller.
  const syncStarted = Date.now();
  for (;;) {
    const { items, errors } = await runtimes.listEnvironments();
    const instances = items.flatMap(e => e.instances);
    if (
      items.length === ENVIRONMENTS &&
      instances.length === ENVIRONMENTS * INSTANCES_PER_ENV &&
      instances.every(i => i.health.facts.qmpStatus !== null) &&
      errors.length === 0
    ) {
      break;
    }
    await new Promise(r => setTimeout(r, 100));
  }
  const syncMs = Date.now() - syncStarted;

  const agent = new http.Agent({ keepAlive: true, maxSockets: VIEWERS });
  for (let i = 0; i < 50; i++) await get(agent, port); // warm-up
  const samples: number[] = [];
  let bytes = 0;
  for (let i = 0; i < SAMPLES; i++) {
    const r = await get(agent, port);
    if (r.status !== 200) throw new Error(`HTTP ${r.status}`);
    samples.push(r.ms);
    bytes = r.bytes;
  }
  samples.sort((a, b) => a - b);

  // Where the time goes, in process: the listing itself vs serializing it.
  const listMs: number[] = [];
  const jsonMs: number[] = [];
  for (let i = 0; i < 200; i++) {
    let t = process.hrtime.bigint();
    const listing = await runtimes.listEnvironments();
    listMs.push(Number(process.hrtime.bigint() - t) / 1e6);
    t = process.hrtime.bigint();
    JSON.stringify(listing);
    jsonMs.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  listMs.sort((a, b) => a - b);
  jsonMs.sort((a, b) => a - b);

  // 10 viewers refreshing: count what reaches the API servers meanwhile.
  const before = apis.map(a => a.requests.length);
  const healthBefore = health.requests;
  const viewerSamples: number[] = [];
  const stopAt = Date.now() + WINDOW_S * 1000;
  await Promise.all(
    Array.from({ length: VIEWERS }, async (_, v) => {
      await new Promise(r => setTimeout(r, (v * VIEWER_INTERVAL_MS) / VIEWERS));
      while (Date.now() < stopAt) {
        viewerSamples.push((await get(agent, port)).ms);
        await new Promise(r => setTimeout(r, VIEWER_INTERVAL_MS));
      }
    }),
  );
  const apiRequests = apis.reduce(
    (sum, a, i) => sum + a.requests.length - before[i],
    0,
  );
  const healthProbes = health.requests - healthBefore;
  viewerSamples.sort((a, b) => a - b);

  const perMinute = (n: number) => (n / WINDOW_S) * 60;
  const discoveryRequests = apis.flatMap(a => a.requests);
  console.log('Loco discovery benchmark');
  console.log(
    `  setup: ${ENVIRONMENTS} environments x ${INSTANCES_PER_ENV} instances over ${CLUSTERS} fake API servers (client-node informers), health poll every ${HEALTH_INTERVAL_MS} ms`,
  );
  console.log(
    `  initial sync (lists + first health round): ${syncMs} ms; API requests so far: ${
      discoveryRequests.length
    } (${discoveryRequests.filter(r => r.watch).length} watches)`,
  );
  console.log(
    `  machine: ${os.cpus().length} cores, load average (1 min) ${os
      .loadavg()[0]
      .toFixed(1)} at the end (other work on the machine inflates latencies)`,
  );
  console.log(
    `  in process: runtimes.listEnvironments() p50 ${percentile(
      listMs,
      50,
    ).toFixed(2)} ms (p99 ${percentile(listMs, 99).toFixed(
      2,
    )}), JSON.stringify of the listing p50 ${percentile(jsonMs, 50).toFixed(
      2,
    )} ms (p99 ${percentile(jsonMs, 99).toFixed(2)})`,
  );
  console.log(`  response size: ${(bytes / 1024).toFixed(0)} KiB`);
  console.log(
    `  sequential GET /api/loco/environments x${SAMPLES}: p50 ${percentile(
      samples,
      50,
    ).toFixed(2)} ms, p99 ${percentile(samples, 99).toFixed(
      2,
    )} ms, max ${samples[samples.length - 1].toFixed(2)} ms`,
  );
  console.log(
    `  ${VIEWERS} viewers refreshing every ${VIEWER_INTERVAL_MS} ms for ${WINDOW_S} s: ${
      viewerSamples.length
    } requests, p50 ${percentile(viewerSamples, 50).toFixed(
      2,
    )} ms, p99 ${percentile(viewerSamples, 99).toFixed(2)} ms`,
  );
  console.log(
    `  API-server requests during that window: ${apiRequests} (${perMinute(
      apiRequests,
    ).toFixed(1)} per minute); open watches: ${apis.reduce(
      (s, a) => s + a.openWatchCount(),
      0,
    )}`,
  );
  console.log(
    `  health probes during that window: ${healthProbes} (${perMinute(
      healthProbes,
    ).toFixed(0)} per minute, to emulators, not the API server)`,
  );
  console.log(
    `  target p99 < 20 ms: ${
      percentile(samples, 99) < 20 ? 'met' : 'NOT met'
    }; zero API requests beyond the watches: ${
      apiRequests === 0 ? 'met' : 'NOT met'
    }`,
  );

  await kubernetes.stop();
  server.close();
  agent.destroy();
  await Promise.all([...apis.map(a => a.stop()), health.stop()]);
}

main().catch(error => {
  console.error(error);
  process.exit(1);
});
