import request from 'supertest';
import { mockCredentials } from '@backstage/backend-test-utils';
import {
  summarizeStates,
  type InstanceState,
} from '@loco-portal/plugin-loco-common';
import { LocoRuntimes } from '@loco-portal/plugin-loco-node';
import { FakeEmulatorRuntime } from '../__testUtils__/FakeEmulatorRuntime';
import {
  mockAuthServices,
  routerTestApp,
} from '../__testUtils__/routerTestApp';
import { createMetricsRouter } from './metricsRouter';

/** Three instances whose states the test sets; the listing follows them. */
class MixedStatesRuntime extends FakeEmulatorRuntime {
  states: InstanceState[] = ['healthy', 'healthy', 'starting'];
  override async listEnvironments() {
    const listing = await super.listEnvironments();
    for (const env of listing.items) {
      env.instances.forEach((instance, i) => {
        instance.state = this.states[i];
      });
      env.summary = summarizeStates(this.states);
    }
    return listing;
  }
}

async function app(options: { allow?: boolean } = {}) {
  const runtime = new MixedStatesRuntime([
    { name: 'loco-demo', instances: 3, storageMode: 'ephemeral' },
  ]);
  const runtimes = new LocoRuntimes([runtime]);
  const router = await createMetricsRouter({
    runtimes,
    ...mockAuthServices(options),
  });
  const server = routerTestApp(router);
  return { server, runtimes, runtime };
}

const scrape = (server: Parameters<typeof request>[0]) =>
  request(server)
    .get('/metrics')
    .set('Authorization', mockCredentials.service.header());

describe('GET /metrics', () => {
  it('refuses callers without credentials', async () => {
    const { server } = await app();
    const res = await request(server).get('/metrics');
    expect(res.status).toBe(401);
  });

  it('serves the Loco registry with instance counts per state, taken at scrape time', async () => {
    const { server, runtimes, runtime } = await app();
    runtimes.metrics.discoveryErrors.inc({ location: 'prod-eu' });
    const res = await scrape(server);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    // Two healthy instances and one starting: one series per state, zeros included.
    const series = (text: string) =>
      text
        .split('\n')
        .filter(l => l.startsWith('loco_instances{'))
        .sort();
    expect(series(res.text)).toEqual([
      'loco_instances{environment="loco-demo",location="local",state="degraded"} 0',
      'loco_instances{environment="loco-demo",location="local",state="healthy"} 2',
      'loco_instances{environment="loco-demo",location="local",state="starting"} 1',
      'loco_instances{environment="loco-demo",location="local",state="stopped"} 0',
      'loco_instances{environment="loco-demo",location="local",state="unhealthy"} 0',
    ]);
    expect(res.text).toContain(
      'loco_discovery_errors_total{location="prod-eu"} 1',
    );
    expect(res.text).toContain('# TYPE loco_vnc_bytes_total counter');

    // The third instance finishes booting: the next scrape says so.
    runtime.states = ['healthy', 'healthy', 'healthy'];
    const later = await scrape(server);
    expect(series(later.text)).toEqual(
      expect.arrayContaining([
        'loco_instances{environment="loco-demo",location="local",state="healthy"} 3',
        'loco_instances{environment="loco-demo",location="local",state="starting"} 0',
      ]),
    );
  });

  it('refuses users without the read permission', async () => {
    const { server } = await app({ allow: false });
    const res = await request(server)
      .get('/metrics')
      .set('Authorization', mockCredentials.user.header());
    expect(res.status).toBe(403);
  });
});
