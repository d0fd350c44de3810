import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type {
  HealthFacts,
  InstanceHealth,
} from '@loco-portal/plugin-loco-common';
import { deriveInstanceHealth } from '../../health/deriveInstanceHealth';

/**
 * TEST DOUBLE of the emulator agent's health route: `GET /health` answers the
 * InstanceHealth JSON derived from `facts` plus `notes` (503 with the same
 * JSON when unhealthy, as the agent does when a restart would help). `mode` switches it to hanging (for timeouts) or to garbage.
 */
export class FakeEmulatorHealthServer {
  mode: 'ok' | 'hang' | 'garbage' = 'ok';
  notes: string[] = [];
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
    // The agent's own derivation, with its notes (what only it knows).
    const body: InstanceHealth = deriveInstanceHealth(
      { ...this.facts, lastScreenChangeAt: new Date().toISOString() },
      new Date(),
      { intendedRunning: true, notes: this.notes },
    );
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
