import type { Duplex } from 'node:stream';
import { InputError, NotFoundError } from '@backstage/errors';
import type {
  ListEnvironmentsResponse,
  LocoEnvironment,
  LocoRuntimeKind,
} from '@loco-portal/plugin-loco-common';
import type {
  EmulatorRuntime,
  EnvironmentChange,
  EnvironmentSpec,
  ProvisionOptions,
  ProvisionPlanner,
  InstanceAction,
  PublishedSnapshot,
  VncOpenOptions,
} from './EmulatorRuntime';
import { LocoMetrics } from '../metrics/LocoMetrics';

/**
 * All configured runtimes behind one front: listings are merged, and calls about
 * one environment go to the runtime that holds it. One failing runtime is
 * reported in `errors` and never hides the others.
 *
 * @public
 */
export class LocoRuntimes {
  constructor(
    private readonly runtimes: EmulatorRuntime[],
    readonly metrics: LocoMetrics = new LocoMetrics(),
  ) {}

  kinds(): LocoRuntimeKind[] {
    return this.runtimes.map(r => r.kind);
  }

  async listEnvironments(): Promise<ListEnvironmentsResponse> {
    const results = await Promise.allSettled(
      this.runtimes.map(r => r.listEnvironments()),
    );
    const response: ListEnvironmentsResponse = { items: [], errors: [] };
    results.forEach((result, i) => {
      if (result.status === 'fulfilled') {
        response.items.push(...result.value.items);
        response.errors.push(...result.value.errors);
      } else {
        response.errors.push({
          location: this.runtimes[i].kind,
          message: String(result.reason?.message ?? result.reason),
        });
      }
    });
    response.items.sort((a, b) => a.name.localeCompare(b.name));
    return response;
  }

  async getEnvironment(name: string): Promise<LocoEnvironment> {
    const { items } = await this.listEnvironments();
    const env = items.find(e => e.name === name);
    if (!env) throw new NotFoundError(`No Loco environment named ${name}`);
    return env;
  }

  async openVnc(
    environment: string,
    index: number,
    options?: VncOpenOptions,
  ): Promise<Duplex> {
    return (await this.runtimeOf(environment)).openVnc(
      environment,
      index,
      options,
    );
  }

  async screenshot(environment: string, index: number): Promise<Buffer> {
    return (await this.runtimeOf(environment)).screenshot(environment, index);
  }

  async runAction(environment: string, index: number, action: InstanceAction) {
    return (await this.runtimeOf(environment)).runAction(
      environment,
      index,
      action,
    );
  }

  async createEnvironment(
    kind: LocoRuntimeKind,
    spec: EnvironmentSpec,
    options?: ProvisionOptions,
  ) {
    await this.runtimeOfKind(kind).createEnvironment(spec, options);
  }

  async updateEnvironment(
    name: string,
    change: EnvironmentChange,
    options?: ProvisionOptions,
  ) {
    return (await this.runtimeOf(name)).updateEnvironment(
      name,
      change,
      options,
    );
  }

  /** Publishes an instance as a snapshot tag, through the runtime that holds it. */
  async publishSnapshot(
    environment: string,
    index: number,
    tag: string,
  ): Promise<PublishedSnapshot> {
    const runtime = await this.runtimeOf(environment);
    if (!runtime.publishSnapshot) {
      throw new InputError(
        `Environment ${environment} runs on a ${runtime.kind} runtime that does not publish snapshots`,
      );
    }
    return runtime.publishSnapshot(environment, index, tag);
  }

  async destroyEnvironment(name: string, options?: ProvisionOptions) {
    return (await this.runtimeOf(name)).destroyEnvironment(name, options);
  }

  /**
   * The runtime of this kind as a planner, whose changes can be checked
   * before they are made (dry runs); the same code path as createEnvironment
   * and friends.
   */
  planner(kind: LocoRuntimeKind): ProvisionPlanner {
    const runtime = this.runtimeOfKind(kind);
    if (!isPlanner(runtime)) {
      throw new InputError(`The ${kind} runtime cannot plan changes`);
    }
    return runtime;
  }

  private runtimeOfKind(kind: LocoRuntimeKind): EmulatorRuntime {
    const runtime = this.runtimes.find(r => r.kind === kind);
    if (!runtime) {
      throw new InputError(
        `The ${kind} runtime is not enabled here (enabled: ${
          this.kinds().join(', ') || 'none'
        })`,
      );
    }
    return runtime;
  }

  private async runtimeOf(environment: string): Promise<EmulatorRuntime> {
    for (const runtime of this.runtimes) {
      const { items } = await runtime.listEnvironments();
      if (items.some(e => e.name === environment)) return runtime;
    }
    throw new NotFoundError(`No Loco environment named ${environment}`);
  }
}

function isPlanner(
  runtime: EmulatorRuntime,
): runtime is EmulatorRuntime & ProvisionPlanner {
  return (
    typeof (runtime as Partial<ProvisionPlanner>).planCreate === 'function'
  );
}
