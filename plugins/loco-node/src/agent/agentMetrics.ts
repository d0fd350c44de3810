import { Gauge, Registry } from 'prom-client';
import {
  INSTANCE_STATES,
  type InstanceHealth,
} from '@loco-portal/plugin-loco-common';
import {
  CLOCK_TICKS_PER_SECOND,
  readProcStat,
  readRssBytes,
} from '../local/procStat';

/** What the metrics read at scrape time. */
export interface MetricsSource {
  health(): { health: InstanceHealth };
  /** QEMU's process id while it runs. */
  pid(): number | undefined;
}

/**
 * The agent's `/metrics`: one instance's health facts and QEMU's own CPU and
 * memory, read when Prometheus scrapes. A value nobody measured is left out,
 * never guessed.
 */
export class AgentMetrics {
  private readonly registry = new Registry();
  private latest?: {
    health: InstanceHealth;
    cpu: number | null;
    rss: number | null;
  };

  constructor(
    private readonly source: MetricsSource,
    labels: { environment: string; instance: string },
  ) {
    this.registry.setDefaultLabels(labels);
    const gauge = (
      name: string,
      help: string,
      read: (g: Gauge) => void,
      labelNames: string[] = [],
    ) =>
      new Gauge({
        name,
        help,
        labelNames,
        registers: [this.registry],
        collect() {
          this.reset();
          // A gauge without labels would show 0 after reset: an unmeasured
          // value must be left out instead.
          if (labelNames.length === 0) this.remove();
          read(this);
        },
      });
    const facts = () => this.latest!.health.facts;
    const seconds = (iso: string | null) =>
      iso === null ? null : Date.parse(iso) / 1000;
    const set = (g: Gauge, value: number | null) => {
      if (value !== null) g.set(value);
    };
    gauge('loco_emulator_up', '1 while the QEMU process is alive', g =>
      g.set(facts().processAlive ? 1 : 0),
    );
    gauge(
      'loco_emulator_state',
      '1 for the current health state',
      g => {
        for (const state of INSTANCE_STATES)
          g.set({ state }, this.latest!.health.state === state ? 1 : 0);
      },
      ['state'],
    );
    const flag = (value: boolean | null | undefined) =>
      value === undefined || value === null ? null : Number(value);
    gauge(
      'loco_emulator_lan_joined',
      '1 while joined to the LAN hub, 0 while not (absent without a hub)',
      g => set(g, flag(facts().lanJoined)),
    );
    gauge(
      'loco_emulator_guest_booted',
      '1 once the guest has booted, 0 while it boots (absent while QEMU is down)',
      g => set(g, flag(facts().guestBooted)),
    );
    gauge('loco_emulator_restarts', 'QEMU restarts by the agent', g =>
      g.set(facts().restarts),
    );
    gauge(
      'loco_emulator_start_time_seconds',
      'When the running QEMU started (Unix time)',
      g => set(g, seconds(facts().startedAt)),
    );
    gauge(
      'loco_emulator_last_screen_change_time_seconds',
      'When the screen last changed (Unix time)',
      g => set(g, seconds(facts().lastScreenChangeAt)),
    );
    gauge('loco_emulator_cpu_seconds', 'CPU time of the QEMU process', g =>
      set(g, this.latest!.cpu),
    );
    gauge(
      'loco_emulator_resident_memory_bytes',
      'Resident memory of the QEMU process',
      g => set(g, this.latest!.rss),
    );
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  async text(): Promise<string> {
    const pid = this.source.pid();
    const stat = pid ? await readProcStat(pid) : null;
    this.latest = {
      health: this.source.health().health,
      cpu: stat ? stat.cpuTicks / CLOCK_TICKS_PER_SECOND : null,
      rss: pid ? await readRssBytes(pid) : null,
    };
    return this.registry.metrics();
  }
}
