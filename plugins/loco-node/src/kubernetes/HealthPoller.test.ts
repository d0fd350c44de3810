import type { InstanceHealth } from '@loco-portal/plugin-loco-common';
import { HealthPoller } from './HealthPoller';
import { NOT_STARTED_FACTS } from '../health/deriveInstanceHealth';

const HEALTH: InstanceHealth = {
  state: 'healthy',
  reasons: [],
  checkedAt: new Date(0).toISOString(),
  facts: {
    ...NOT_STARTED_FACTS,
    processAlive: true,
    qmpStatus: 'running',
    vncReachable: true,
  },
};

function poller(
  targets: string[],
  probe: (t: string) => Promise<InstanceHealth>,
  overrides: {
    concurrency?: number;
    failureThreshold?: number;
    cooldownMs?: number;
  } = {},
) {
  return new HealthPoller<string>({
    location: 'alpha',
    intervalMs: 1000,
    timeoutMs: 100,
    concurrency: overrides.concurrency ?? 4,
    failureThreshold: overrides.failureThreshold ?? 3,
    cooldownMs: overrides.cooldownMs ?? 60_000,
    targets: () => new Map(targets.map(t => [t, t])),
    probe,
    onProbeSeconds: () => {},
    onRound: () => {},
  });
}

describe('HealthPoller', () => {
  it('never has more probes in flight than its concurrency', async () => {
    let inFlight = 0;
    let peak = 0;
    const p = poller(
      Array.from({ length: 20 }, (_, i) => `pod-${i}`),
      async () => {
        inFlight += 1;
        peak = Math.max(peak, inFlight);
        await new Promise(r => setImmediate(r));
        inFlight -= 1;
        return HEALTH;
      },
      { concurrency: 3 },
    );
    await p.pollOnce();
    expect(peak).toBe(3);
    expect(p.results.size).toBe(20);
    expect([...p.results.values()].every(r => r.kind === 'ok')).toBe(true);
  });

  it('opens the circuit after consecutive failures and stops probing the cluster', async () => {
    const probed: string[] = [];
    const p = poller(
      Array.from({ length: 10 }, (_, i) => `pod-${i}`),
      async t => {
        probed.push(t);
        throw new Error('connect ECONNREFUSED');
      },
      { concurrency: 1, failureThreshold: 3 },
    );
    await p.pollOnce();
    expect(probed).toHaveLength(3);
    expect(p.circuitOpen).toBe(true);

    await p.pollOnce();
    expect(probed).toHaveLength(3);
    expect(p.results.get('pod-9')).toMatchObject({
      kind: 'paused',
      reason: expect.stringContaining('3 probes failed in a row in alpha'),
    });
  });

  it('after the cooldown, one successful trial probe closes the circuit', async () => {
    let fail = true;
    const probed: string[] = [];
    const p = poller(
      ['a', 'b', 'c', 'd'],
      async t => {
        probed.push(t);
        if (fail) throw new Error('timeout');
        return HEALTH;
      },
      { concurrency: 1, failureThreshold: 2, cooldownMs: 0 },
    );
    await p.pollOnce();
    expect(probed).toEqual(['a', 'b']);
    fail = false;
    await p.pollOnce(); // cooldown 0: half-open, trial on 'a' succeeds, the rest follow
    expect(probed).toEqual(['a', 'b', 'a', 'b', 'c', 'd']);
    expect(p.circuitOpen).toBe(false);
    expect([...p.results.values()].every(r => r.kind === 'ok')).toBe(true);
  });

  it('probes only never-probed targets when nudged', async () => {
    const targets = ['a', 'b'];
    const probed: string[] = [];
    const p = new HealthPoller<string>({
      location: 'alpha',
      intervalMs: 60_000,
      timeoutMs: 100,
      concurrency: 2,
      failureThreshold: 3,
      cooldownMs: 60_000,
      targets: () => new Map(targets.map(t => [t, t])),
      probe: async t => {
        probed.push(t);
        return HEALTH;
      },
      onProbeSeconds: () => {},
      onRound: () => {},
    });
    await p.pollOnce();
    targets.push('c');
    await p.pollOnce({ onlyNew: true });
    expect(probed.sort()).toEqual(['a', 'b', 'c']);
    await p.stop();
  });

  it('forgets the results of targets that went away', async () => {
    const targets = ['a', 'b'];
    const p = new HealthPoller<string>({
      location: 'alpha',
      intervalMs: 60_000,
      timeoutMs: 100,
      concurrency: 2,
      failureThreshold: 3,
      cooldownMs: 60_000,
      targets: () => new Map(targets.map(t => [t, t])),
      probe: async () => HEALTH,
      onProbeSeconds: () => {},
      onRound: () => {},
    });
    await p.pollOnce();
    expect([...p.results.keys()].sort()).toEqual(['a', 'b']);
    targets.splice(0, 1);
    await p.pollOnce();
    expect([...p.results.keys()]).toEqual(['b']);
  });

  it('stop() waits for the round in flight', async () => {
    let release!: () => void;
    const gate = new Promise<void>(resolve => (release = resolve));
    let probes = 0;
    let entered!: () => void;
    const inFlight = new Promise<void>(resolve => (entered = resolve));
    const p = new HealthPoller<string>({
      location: 'alpha',
      intervalMs: 60_000,
      timeoutMs: 100,
      concurrency: 1,
      failureThreshold: 3,
      cooldownMs: 60_000,
      targets: () => new Map([['a', 'a']]),
      probe: async () => {
        probes += 1;
        entered();
        await gate;
        return HEALTH;
      },
      onProbeSeconds: () => {},
      onRound: () => {},
    });
    p.start();
    await inFlight;
    let stopped = false;
    const stopping = p.stop().then(() => (stopped = true));
    await Promise.resolve();
    expect(stopped).toBe(false); // the probe still holds the round
    release();
    await stopping;
    expect(p.results.get('a')).toMatchObject({ kind: 'ok' });
    expect(probes).toBe(1);
  });
});
