import type { V1Pod } from '@kubernetes/client-node';
import type { InstanceHealth } from '@loco-portal/plugin-loco-common';
import { NOT_STARTED_FACTS } from '../health/deriveInstanceHealth';
import { podInstanceHealth } from './podHealth';
import { describeEnvironments } from './describeEnvironments';
import {
  emulatorPod,
  emulatorStatefulSet,
} from './__testUtils__/emulatorObjects';

const NOW = new Date();
const pod = (overrides: (p: any) => void = () => {}): V1Pod => {
  const p = emulatorPod('lab', 0);
  overrides(p);
  return p as V1Pod;
};

describe('podInstanceHealth', () => {
  it('is unhealthy with the reason when the container cannot start', () => {
    const health = podInstanceHealth(
      pod(p => {
        p.status.containerStatuses[0].state = {
          waiting: {
            reason: 'CrashLoopBackOff',
            message: 'back-off 5m0s restarting failed container',
          },
        };
        p.status.containerStatuses[0].lastState = {
          terminated: { exitCode: 1, finishedAt: '2026-01-01T00:00:00Z' },
        };
      }),
      undefined,
      NOW,
    );
    expect(health.state).toBe('unhealthy');
    expect(health.reasons[0]).toBe(
      'container CrashLoopBackOff: back-off 5m0s restarting failed container',
    );
    expect(health.facts.lastExit).toEqual({
      code: 1,
      signal: null,
      at: '2026-01-01T00:00:00.000Z',
    });
  });

  it('is starting, not measured, before the first probe of a running pod', () => {
    const health = podInstanceHealth(
      pod(p => {
        p.status.containerStatuses[0].state = {
          running: { startedAt: NOW.toISOString() },
        };
      }),
      undefined,
      NOW,
    );
    expect(health.state).toBe('starting');
    expect(health.facts).toMatchObject({
      processAlive: true,
      qmpStatus: null,
      accelerator: null,
    });
  });

  it("keeps the agent's state and reasons, and adds what Kubernetes knows", () => {
    const reported: InstanceHealth = {
      state: 'starting',
      reasons: ['waiting for the LAN hub lab-lan-0.loco.svc:5555'],
      facts: { ...NOT_STARTED_FACTS, restarts: 1 },
      checkedAt: NOW.toISOString(),
    };
    const health = podInstanceHealth(
      pod(p => {
        p.status.containerStatuses[0].restartCount = 2;
      }),
      { kind: 'ok', health: reported, at: NOW },
      NOW,
    );
    expect(health.state).toBe('starting');
    expect(health.reasons).toEqual([
      'waiting for the LAN hub lab-lan-0.loco.svc:5555',
    ]);
    expect(health.facts.restarts).toBe(3);

    const notReady = podInstanceHealth(
      pod(p => {
        p.status.conditions[0].status = 'False';
      }),
      {
        kind: 'ok',
        health: {
          ...reported,
          state: 'healthy',
          reasons: [
            'running, screen updating',
            'KVM requested but unusable here (no usable /dev/kvm); running on TCG',
          ],
        },
        at: NOW,
      },
      NOW,
    );
    expect(notReady.state).toBe('degraded');
    expect(notReady.reasons).toEqual([
      'pod is not Ready',
      'running, screen updating',
      'KVM requested but unusable here (no usable /dev/kvm); running on TCG',
    ]);
  });

  it("passes on the agent's LAN and boot facts, and invents none for an agent without them", () => {
    const reported: InstanceHealth = {
      state: 'degraded',
      reasons: ['waiting for the LAN hub'],
      facts: {
        processAlive: true,
        qmpStatus: 'running',
        vncReachable: true,
        lastScreenChangeAt: NOW.toISOString(),
        startedAt: NOW.toISOString(),
        bootMode: 'cold',
        accelerator: 'tcg',
        restarts: 0,
        lastExit: null,
        lanJoined: false,
        guestBooted: true,
      },
      checkedAt: NOW.toISOString(),
    };
    const ok = (health: InstanceHealth) =>
      podInstanceHealth(pod(), { kind: 'ok', health, at: NOW }, NOW);
    expect(ok(reported).facts).toMatchObject({
      lanJoined: false,
      guestBooted: true,
    });
    const { lanJoined, guestBooted, ...older } = reported.facts;
    const fromOlder = ok({ ...reported, facts: older }).facts;
    expect(fromOlder).not.toHaveProperty('lanJoined');
    expect(fromOlder).not.toHaveProperty('guestBooted');
  });

  it('says why when health checks of the cluster are paused', () => {
    const health = podInstanceHealth(
      pod(),
      {
        kind: 'paused',
        reason: 'health checks paused: 20 probes failed in a row in alpha',
        at: NOW,
      },
      NOW,
    );
    expect(health.reasons[0]).toBe(
      'health checks paused: 20 probes failed in a row in alpha',
    );
    expect(health.facts.qmpStatus).toBeNull();
  });
});

describe('describeEnvironments', () => {
  it("infers the storage mode from the StatefulSet volumes and reads the owner annotation and the release's namespace", () => {
    const set: any = emulatorStatefulSet('lab', {
      replicas: 1,
      owner: 'group:default/team-a',
      namespace: 'team-a-loco',
    });
    set.spec.volumeClaimTemplates = [{ metadata: { name: 'data' } }];
    const [env] = describeEnvironments(
      {
        cluster: 'alpha',
        pods: [],
        statefulSets: [set],
        probes: new Map(),
        status: { synced: true, stale: false, lastSyncAt: NOW, error: null },
      },
      NOW,
    );
    expect(env).toMatchObject({
      name: 'lab',
      namespace: 'team-a-loco',
      owner: 'group:default/team-a',
      storageMode: 'persistent',
      snapshotTag: null,
      desiredInstances: 1,
      lastSyncAt: NOW.toISOString(),
    });
    expect(env.instances[0]).toMatchObject({
      state: 'starting',
      health: { reasons: ['pod not created yet'] },
    });
  });
});
