import request from 'supertest';
import { mockCredentials } from '@backstage/backend-test-utils';
import { LocoRuntimes } from '@loco-portal/plugin-loco-node';
import { FakeEmulatorRuntime } from '../__testUtils__/FakeEmulatorRuntime';
import {
  mockAuthServices,
  routerTestApp,
} from '../__testUtils__/routerTestApp';
import { createMetricsRouter } from './metricsRouter';

async function app(options: { allow?: boolean } = {}) {
  const runtime = new FakeEmulatorRuntime([
    { name: 'loco-demo', instances: 3, storageMode: 'ephemeral' },
  ]);
  const runtimes = new LocoRuntimes([runtime]);
  const router = await createMetricsRouter({
    runtimes,
    ...mockAuthServices(options),
  });
  const server = routerTestApp(router);
  return { server, runtimes };
}

describe('GET /metrics', () => {
  it('refuses callers without credentials', async () => {
    const { server } = await app();
    const res = await request(server).get('/metrics');
    expect(res.status).toBe(401);
  });

  it('serves the Loco registry with instance counts taken at scrape time', async () => {
    const { server, runtimes } = await app();
    runtimes.metrics.discoveryErrors.inc({ location: 'prod-eu' });
    const res = await request(server)
      .get('/metrics')
      .set('Authorization', mockCredentials.service.header());
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    const { items } = await runtimes.listEnvironments();
    const state = items[0].summary.state;
    expect(res.text).toContain(
      `loco_instances{environment="loco-demo",location="local",state="${state}"} 3`,
    );
    expect(res.text).toContain(
      'loco_discovery_errors_total{location="prod-eu"} 1',
    );
    expect(res.text).toContain('# TYPE loco_vnc_bytes_total counter');
  });

  it('refuses users without the read permission', async () => {
    const { server } = await app({ allow: false });
    const res = await request(server)
      .get('/metrics')
      .set('Authorization', mockCredentials.user.header());
    expect(res.status).toBe(403);
  });
});
