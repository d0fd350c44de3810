import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type {
  HealthFacts,
  InstanceHealth,
} from '@loco-portal/plugin-loco-common';

/**
 * TEST DOUBLE of the emulator image's health port: `GET /health` answers the
 * InstanceHealth JSON (503 with the same JSON when unhealthy, as the image
 * does). `mode` switches it to hanging (for timeouts) or to garbage.
 */
export class FakeEmulatorHealthServer {
  mode: 'ok' | 'hang' | 'garbage' = 'ok';
  requests = 0;
  facts: HealthFacts = {
    processAlive: true,
    qmpStatus: 'running',
    vncReachable: true,
    lastScreenChangeAt: new Date().toISOString(),
    startedAt: new Date(Date.now() - 600_000).toISOString(),
    bootMode: 'snapshot',
    accelerator: 'tcg',
    restarts: 0,
    lastExit: null,
  };
  private readonly server = http.createServer((req, res) => {
    this.requests += 1;
    if (req.url !== '/health') {
      res.writeHead(404).end();
      return;
    }
    if (this.mode === 'hang') return;
    if (this.mode === 'garbage') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('hello');
      return;
    }
    const body: InstanceHealth = {
      state: this.facts.qmpStatus === 'running' ? 'healthy' : 'unhealthy',
      reasons: [],
      facts: { ...this.facts, lastScreenChangeAt: new Date().toISOString() },
      checkedAt: new Date().toISOString(),
    };
    res.writeHead(body.state === 'healthy' ? 200 : 503, {
      'content-type': 'application/json',
    });
    res.end(JSON.stringify(body));
  });

  constructor(readonly host: string) {}

  async start(port = 0): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, this.host, () => resolve());
    });
    return (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>(resolve => this.server.close(() => resolve()));
  }
}
