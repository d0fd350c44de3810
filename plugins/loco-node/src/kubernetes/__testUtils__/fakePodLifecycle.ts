import { podFromStatefulSet, podStatus } from './emulatorObjects';
import { failureStatus, type FailureStatus } from './fakeApiProtocol';
import type { FakeObjectStore, StoreEvent } from './FakeObjectStore';

/**
 * TEST DOUBLE of what happens to a pod outside the API server's storage:
 * graceful deletion (the API server's pod strategy), the kubelet stopping the
 * containers and removing the pod, and, when enabled, the StatefulSet
 * controller creating a missing pod again (same name, new uid), which the
 * scheduler and kubelet then start. Each step is a separate store change, so
 * watchers see the same sequence of events a cluster produces.
 */
export interface PodLifecycleOptions {
  /** Re-create pods of a StatefulSet that go away (pkg/controller/statefulset). */
  statefulSetController?: boolean;
  /** Pod IP of a re-created pod; default: the IP its predecessor had. */
  podIP?: (previous: any) => string;
  /**
   * How long the kubelet takes to stop a deleted pod's containers (default: at
   * once); Infinity waits for `finishTermination` (a test that must see the
   * terminating pod).
   */
  terminationMs?: number;
}

const later = (fn: () => void, ms = 0) => setTimeout(fn, ms).unref();

export class FakePodLifecycle {
  private stopped = false;

  constructor(
    private readonly store: FakeObjectStore,
    private readonly options: PodLifecycleOptions,
  ) {
    store.subscribe(event => this.reconcile(event));
  }

  stop(): void {
    this.stopped = true;
  }

  /**
   * `DELETE` of a pod (pkg/registry/core/pod/strategy.go
   * `CheckGracefulDelete`; staging/src/k8s.io/apiserver/pkg/registry/rest/
   * delete.go `BeforeDelete`): the grace period is the request's, else the
   * pod's `terminationGracePeriodSeconds` (30 by API default), and 0 for a pod
   * not scheduled to a node or already terminated. Zero deletes at once;
   * otherwise the pod stays with `deletionTimestamp` (now + period) and
   * `deletionGracePeriodSeconds` until the kubelet has stopped it. A second
   * DELETE may only shorten the period. Returns the object the API answers.
   */
  delete(namespace: string, name: string, requested?: number): any {
    const pod = this.store.get('pods', namespace, name);
    if (!pod) return undefined;
    let period = requested ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
    if (!pod.spec?.nodeName) period = 0;
    if (['Succeeded', 'Failed'].includes(pod.status?.phase)) period = 0;
    const current = pod.metadata.deletionGracePeriodSeconds;
    if (current !== undefined && period >= current) return pod;
    if (period === 0) {
      this.store.remove('pods', namespace, name);
      return pod;
    }
    const marked = structuredClone(pod);
    marked.metadata.deletionTimestamp = new Date(
      Date.now() + period * 1000,
    ).toISOString();
    marked.metadata.deletionGracePeriodSeconds = period;
    const stored = this.store.apply('pods', marked);
    const wait = this.options.terminationMs ?? 0;
    if (current === undefined && wait !== Infinity)
      later(() => this.kubeletStops(stored), wait);
    return stored;
  }

  /**
   * `pods/portforward` reaches the pod's kubelet only for a scheduled pod
   * whose sandbox runs: pkg/registry/core/pod/strategy.go
   * `PortForwardLocation` answers `400 pod <name> does not have a host
   * assigned`; the kubelet (pkg/kubelet/kubelet_pods.go `GetPortForward`,
   * looking among running pods only) answers `pod not found`, written as a
   * 500 by pkg/kubelet/cri/streaming/errors.go `WriteError`.
   */
  portForwardRefusal(
    pod: any,
  ): { status: number; body: FailureStatus | string } | null {
    if (!pod.spec?.nodeName) {
      return {
        status: 400,
        body: failureStatus(
          400,
          'BadRequest',
          `pod ${pod.metadata.name} does not have a host assigned`,
        ),
      };
    }
    if (pod.status?.phase !== 'Running') {
      return {
        status: 500,
        body: `pod not found ("${pod.metadata.name}_${pod.metadata.namespace}")`,
      };
    }
    return null;
  }

  /** The kubelet finishes stopping a terminating pod now (with `terminationMs: Infinity`). */
  finishTermination(namespace: string, name: string): void {
    const pod = this.store.get('pods', namespace, name);
    if (!pod?.metadata.deletionTimestamp)
      throw new Error(`pod ${namespace}/${name} is not terminating`);
    this.kubeletStops(pod);
  }

  /** The kubelet kills the containers, reports them terminated, then deletes the pod for good. */
  private kubeletStops(pod: any): void {
    if (this.stopped) return;
    const { namespace, name } = pod.metadata;
    const now = this.store.get('pods', namespace, name);
    if (!now || now.metadata.uid !== pod.metadata.uid) return;
    // Containers terminated and not Ready; the phase is left as it was.
    const stopped = structuredClone(now);
    const ended = podStatus(now, { phase: 'Failed', podIP: now.status?.podIP });
    stopped.status = { ...ended, phase: now.status?.phase };
    this.store.apply('pods', stopped);
    later(() => {
      const still = this.store.get('pods', namespace, name);
      if (!this.stopped && still?.metadata.uid === pod.metadata.uid)
        this.store.remove('pods', namespace, name);
    });
  }

  /**
   * The StatefulSet controller (pkg/controller/statefulset/
   * stateful_set_control.go): an ordinal below `replicas` without a pod gets
   * one from the template, created unscheduled; the scheduler binds it and the
   * kubelet starts it (two more changes).
   */
  private reconcile(event: StoreEvent): void {
    if (!this.options.statefulSetController) return;
    if (event.resource !== 'pods' || event.type !== 'DELETED') return;
    const gone = event.object;
    const owner = gone.metadata.ownerReferences?.find(
      (r: any) => r.kind === 'StatefulSet' && r.controller,
    );
    if (!owner) return;
    later(() => {
      if (this.stopped) return;
      const { namespace, name } = gone.metadata;
      const set = this.store.get('statefulsets', namespace, owner.name);
      const index = Number(
        gone.metadata.labels?.['apps.kubernetes.io/pod-index'],
      );
      if (!set || !(index < (set.spec.replicas ?? 1))) return;
      if (this.store.get('pods', namespace, name)) return;
      this.store.apply(
        'pods',
        podFromStatefulSet(set, index, { unscheduled: true }),
      );
      const ip = this.options.podIP?.(gone) ?? gone.status?.podIP;
      later(() => {
        const created = this.store.get('pods', namespace, name);
        if (this.stopped || !created) return;
        const scheduled = structuredClone(created);
        scheduled.spec.nodeName = 'fake-node';
        scheduled.status = podStatus(set.spec.template, {
          phase: 'Pending',
          podIP: ip,
        });
        const bound = this.store.apply('pods', scheduled);
        later(() => {
          const current = this.store.get('pods', namespace, name);
          if (this.stopped || current?.metadata.uid !== bound.metadata.uid)
            return;
          const running = structuredClone(current);
          running.status = podStatus(set.spec.template, { podIP: ip });
          this.store.apply('pods', running);
        });
      });
    });
  }
}
