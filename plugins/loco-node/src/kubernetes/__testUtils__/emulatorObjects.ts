/**
 * TEST DATA: emulator StatefulSets, pods and the agent's Secret as the chart
 * renders them (through tools/helm-render, the project's `helm template`
 * work-alike), so labels, names and annotations are the chart's own and a
 * chart change shows up here. Pods are made from the rendered StatefulSet's
 * template the way the StatefulSet controller makes them; only their status
 * (what the kubelet reports) is written here.
 *
 * Object names: rendered with `fullnameOverride` = the environment name (a
 * chart value operators may set), so the StatefulSet of `lab` is `lab` and its
 * pods `lab-0`, `lab-1`; `release: true` renders exactly as HelmProvisioner
 * installs (release = environment, no override: `lab-lego-loco-cluster`).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';

function findRepo(): string {
  // `__dirname` is missing where this file is bundled as ESM (tests/emulator-image).
  let dir = typeof __dirname === 'string' ? __dirname : process.cwd();
  while (!fs.existsSync(path.join(dir, 'chart', 'Chart.yaml'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('repository with chart/ not found');
    dir = parent;
  }
  return dir;
}

let helmRender: string | undefined;
function helmRenderBinary(repo: string): string {
  if (helmRender) return helmRender;
  const build = spawnSync(
    'sh',
    [path.join(repo, 'tools/helm-render/build.sh')],
    {
      encoding: 'utf8',
    },
  );
  if (build.status !== 0)
    throw new Error(
      `building helm-render failed:\n${build.stdout}${build.stderr}`,
    );
  const cache = process.env.LOCO_CACHE_DIR ?? path.join(repo, '.cache');
  helmRender = path.join(cache, 'bin', 'helm-render');
  return helmRender;
}

export interface RenderOptions {
  namespace?: string;
  /** Backstage entity ref of the owner (environment.owner). */
  owner?: string;
  instances?: number;
  /** Name objects as HelmProvisioner's release does (no fullnameOverride). */
  release?: boolean;
}

const renders = new Map<string, any[]>();
/** Replicas last asked for per environment: pods default to the same render. */
const lastInstances = new Map<string, number>();

/** Every object the chart renders for environment `env` (cached per input). */
export function renderEnvironment(
  env: string,
  options: RenderOptions = {},
): any[] {
  const namespace = options.namespace ?? 'loco';
  const owner = options.owner ?? 'user:default/guest';
  const instances = options.instances ?? 1;
  const values = {
    ...(options.release ? {} : { fullnameOverride: env }),
    environment: { name: env, owner },
    instances,
  };
  const key = JSON.stringify([env, namespace, values]);
  const cached = renders.get(key);
  if (cached) return structuredClone(cached);
  const repo = findRepo();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loco-objects-'));
  try {
    const file = path.join(dir, 'values.json');
    fs.writeFileSync(file, JSON.stringify(values));
    const r = spawnSync(
      helmRenderBinary(repo),
      [env, path.join(repo, 'chart'), '-n', namespace, '-f', file],
      { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 },
    );
    if (r.status !== 0) throw new Error(`chart render failed: ${r.stderr}`);
    const objects = parseAllDocuments(r.stdout)
      .map(d => d.toJSON())
      .filter(Boolean);
    renders.set(key, objects);
    return structuredClone(objects);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function rendered(
  env: string,
  kind: string,
  component: string,
  options: RenderOptions,
) {
  const found = renderEnvironment(env, options).find(
    o =>
      o.kind === kind &&
      o.metadata.labels?.['app.kubernetes.io/component'] === component,
  );
  if (!found) throw new Error(`the chart rendered no ${kind} (${component})`);
  return found;
}

/** The chart's emulator StatefulSet, with the status a settled controller reports. */
export function emulatorStatefulSet(
  env: string,
  options: RenderOptions & { replicas: number },
) {
  lastInstances.set(env, options.replicas);
  const set = rendered(env, 'StatefulSet', 'emulator', {
    ...options,
    instances: options.replicas,
  });
  set.status = { replicas: options.replicas, readyReplicas: options.replicas };
  return set;
}

export interface PodState {
  podIP?: string;
  /** Running (default), Pending (scheduled, containers being created), Succeeded, Failed. */
  phase?: string;
  ready?: boolean;
  restartCount?: number;
  /** Not scheduled yet: no node, no IP (the scheduler has not bound it). */
  unscheduled?: boolean;
}

function containerState(phase: string, startedAt: string) {
  if (phase === 'Running') return { running: { startedAt } };
  if (phase === 'Pending') return { waiting: { reason: 'ContainerCreating' } };
  const failed = phase === 'Failed';
  return {
    terminated: {
      exitCode: failed ? 137 : 0,
      reason: failed ? 'Error' : 'Completed',
    },
  };
}

/** What the kubelet reports for a pod in `state`. */
export function podStatus(template: any, state: PodState = {}) {
  const phase = state.phase ?? 'Running';
  const startedAt = new Date(Date.now() - 600_000).toISOString();
  const ready = phase === 'Running' && state.ready !== false;
  if (state.unscheduled) {
    return {
      phase: 'Pending',
      conditions: [
        { type: 'PodScheduled', status: 'False', reason: 'Unschedulable' },
      ],
    };
  }
  return {
    phase,
    podIP: state.podIP ?? '127.0.0.1',
    conditions: [
      { type: 'Ready', status: ready ? 'True' : 'False' },
      { type: 'PodScheduled', status: 'True' },
    ],
    containerStatuses: (template.spec.containers ?? []).map((c: any) => ({
      name: c.name,
      ready,
      restartCount: state.restartCount ?? 0,
      image: c.image,
      imageID: '',
      started: phase === 'Running',
      state: containerState(phase, startedAt),
    })),
  };
}

/**
 * Pod `index` of a StatefulSet, as the controller creates it
 * (pkg/controller/statefulset/stateful_set_utils.go `newStatefulSetPod`,
 * `updateIdentity`): the template's labels and annotations, name
 * `<set>-<index>`, the `statefulset.kubernetes.io/pod-name` and (Kubernetes ≥
 * 1.28) `apps.kubernetes.io/pod-index` labels, hostname and subdomain, and a
 * controller reference to the set. A scheduled pod runs on `fake-node`.
 */
export function podFromStatefulSet(
  set: any,
  index: number,
  state: PodState = {},
) {
  const template = set.spec.template;
  const name = `${set.metadata.name}-${index}`;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: set.metadata.namespace,
      labels: {
        ...template.metadata.labels,
        'controller-revision-hash': `${set.metadata.name}-fake`,
        'statefulset.kubernetes.io/pod-name': name,
        'apps.kubernetes.io/pod-index': String(index),
      },
      annotations: { ...template.metadata.annotations },
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: 'StatefulSet',
          name: set.metadata.name,
          uid: set.metadata.uid ?? `uid-statefulset-${set.metadata.name}`,
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: {
      ...structuredClone(template.spec),
      hostname: name,
      subdomain: set.spec.serviceName,
      ...(state.unscheduled ? {} : { nodeName: 'fake-node' }),
    },
    status: podStatus(template, state),
  };
}

/** Pod `index` of environment `env`, from the chart's StatefulSet. */
export function emulatorPod(
  env: string,
  index: number,
  options: RenderOptions & PodState = {},
) {
  const instances =
    options.instances ?? Math.max(lastInstances.get(env) ?? 1, index + 1);
  const set = rendered(env, 'StatefulSet', 'emulator', {
    ...options,
    instances,
  });
  return podFromStatefulSet(set, index, options);
}

/** The chart's per-release Secret holding the emulator agents' token, with `token`. */
export function agentSecret(
  env: string,
  token: string,
  options: RenderOptions = {},
) {
  const secret = rendered(env, 'Secret', 'emulator-agent', options);
  secret.data = { token: Buffer.from(token).toString('base64') };
  return secret;
}
