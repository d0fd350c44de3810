import { Duplex } from 'node:stream';
import type { LocoEnvironment } from '@loco-portal/plugin-loco-common';
import { summarizeStates } from '@loco-portal/plugin-loco-common';
import type {
  EmulatorRuntime,
  EnvironmentSpec,
  InstanceAction,
  RuntimeListing,
} from '@loco-portal/plugin-loco-node';

/**
 * Test double of a runtime: environments in memory, VNC streams that answer
 * with an RFB greeting and record what the client sent.
 */
export class FakeEmulatorRuntime implements EmulatorRuntime {
  readonly kind = 'local' as const;
  readonly actions: Array<[string, number, InstanceAction]> = [];
  readonly vncReceived: Buffer[] = [];
  private readonly envs = new Map<string, EnvironmentSpec>();

  constructor(initial: EnvironmentSpec[] = []) {
    initial.forEach(spec => this.envs.set(spec.name, spec));
  }

  async listEnvironments(): Promise<RuntimeListing> {
    return { items: [...this.envs.values()].map(describe), errors: [] };
  }

  async openVnc(environment: string, index: number): Promise<Duplex> {
    this.require(environment, index);
    const recorder = new Duplex({
      read() {},
      write: (chunk, _enc, done) => {
        this.vncReceived.push(Buffer.from(chunk));
        done();
      },
    });
    recorder.push('RFB 003.008\n');
    return recorder;
  }

  async screenshot(environment: string, index: number): Promise<Buffer> {
    this.require(environment, index);
    return Buffer.from('\x89PNG\r\n\x1a\nfake', 'binary');
  }

  async runAction(environment: string, index: number, action: InstanceAction) {
    this.require(environment, index);
    this.actions.push([environment, index, action]);
  }

  async createEnvironment(spec: EnvironmentSpec) {
    this.envs.set(spec.name, spec);
  }

  async updateEnvironment(name: string, change: { instances?: number }) {
    const spec = this.envs.get(name);
    if (spec && change.instances) spec.instances = change.instances;
  }

  async destroyEnvironment(name: string) {
    this.envs.delete(name);
  }

  private require(environment: string, index: number) {
    const spec = this.envs.get(environment);
    if (!spec || index >= spec.instances) throw new Error('no such instance');
  }
}

function describe(spec: EnvironmentSpec): LocoEnvironment {
  const instances = Array.from({ length: spec.instances }, (_, index) => ({
    index,
    name: `${spec.name}-${index}`,
    state: 'healthy' as const,
    health: {
      state: 'healthy' as const,
      reasons: ['running, screen updating'],
      checkedAt: new Date(0).toISOString(),
      facts: {
        processAlive: true,
        qmpStatus: 'running',
        vncReachable: true,
        lastScreenChangeAt: new Date(0).toISOString(),
        startedAt: new Date(0).toISOString(),
        bootMode: 'cold' as const,
        accelerator: 'tcg',
        restarts: 0,
        lastExit: null,
      },
    },
  }));
  return {
    name: spec.name,
    runtime: 'local',
    location: 'local',
    owner: spec.owner ?? null,
    storageMode: spec.storageMode,
    snapshotTag: spec.snapshotTag ?? null,
    desiredInstances: spec.instances,
    instances,
    summary: summarizeStates(instances.map(i => i.state)),
  };
}
