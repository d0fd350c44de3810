/**
 * TEST DATA: emulator StatefulSets and pods shaped like the chart renders them
 * (labels, owner and agent-secret annotations, pod-index label, container
 * statuses), and the agent's Secret.
 */
export function emulatorLabels(env: string) {
  return {
    'app.kubernetes.io/name': 'lego-loco-cluster',
    'app.kubernetes.io/instance': env,
    'app.kubernetes.io/part-of': 'lego-loco-cluster',
    'app.kubernetes.io/component': 'emulator',
    'loco.dev/environment': env,
    'loco.dev/owner': 'user-default-guest',
  };
}

export function emulatorStatefulSet(
  env: string,
  options: { replicas: number; namespace?: string; owner?: string },
) {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: {
      name: env,
      namespace: options.namespace ?? 'loco',
      labels: emulatorLabels(env),
      annotations: {
        'loco.dev/owner-ref': options.owner ?? 'user:default/guest',
      },
    },
    spec: {
      replicas: options.replicas,
      serviceName: `${env}-headless`,
      selector: { matchLabels: { 'app.kubernetes.io/instance': env } },
      template: {
        metadata: { labels: emulatorLabels(env) },
        spec: { containers: [] },
      },
    },
    status: { replicas: options.replicas, readyReplicas: options.replicas },
  };
}

export function emulatorPod(
  env: string,
  index: number,
  options: {
    namespace?: string;
    podIP?: string;
    phase?: string;
    ready?: boolean;
    restartCount?: number;
  } = {},
) {
  const phase = options.phase ?? 'Running';
  const startedAt = new Date(Date.now() - 600_000).toISOString();
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `${env}-${index}`,
      namespace: options.namespace ?? 'loco',
      labels: {
        ...emulatorLabels(env),
        'apps.kubernetes.io/pod-index': String(index),
      },
      annotations: {
        'loco.dev/owner-ref': 'user:default/guest',
        'loco.dev/agent-secret': `${env}-agent`,
      },
    },
    spec: { containers: [{ name: 'emulator', image: 'loco-emulator:test' }] },
    status: {
      phase,
      podIP: options.podIP ?? '127.0.0.1',
      conditions: [
        { type: 'Ready', status: options.ready === false ? 'False' : 'True' },
      ],
      containerStatuses: [
        {
          name: 'emulator',
          ready: options.ready !== false,
          restartCount: options.restartCount ?? 0,
          image: 'loco-emulator:test',
          imageID: '',
          state:
            phase === 'Running'
              ? { running: { startedAt } }
              : { waiting: { reason: 'ContainerCreating' } },
        },
      ],
    },
  };
}

/** The chart's per-release Secret holding the emulator agents' token. */
export function agentSecret(
  env: string,
  token: string,
  options: { namespace?: string } = {},
) {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'Opaque',
    metadata: {
      name: `${env}-agent`,
      namespace: options.namespace ?? 'loco',
      labels: emulatorLabels(env),
    },
    data: { token: Buffer.from(token).toString('base64') },
  };
}
