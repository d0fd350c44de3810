import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * Every Loco metric, on a registry of its own (served at /api/loco/metrics) so
 * it never mixes with other plugins' default registry. Values are recorded
 * where they are measured; nothing here is computed or estimated.
 *
 * @public
 */
export class LocoMetrics {
  readonly registry = new Registry();
  private readonly vncBytesSources = new Set<() => void>();

  /** Instances by environment, location and derived state; set on every scrape. */
  readonly instances = new Gauge({
    name: 'loco_instances',
    help: 'Emulator instances by environment, location and health state',
    labelNames: ['environment', 'location', 'state'] as const,
    registers: [this.registry],
  });

  readonly discoverySyncSeconds = new Histogram({
    name: 'loco_discovery_sync_duration_seconds',
    help: 'Time to list (or relist) emulators from one location',
    labelNames: ['location'] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly discoveryErrors = new Counter({
    name: 'loco_discovery_errors_total',
    help: 'Failed list/watch calls per location',
    labelNames: ['location'] as const,
    registers: [this.registry],
  });

  readonly healthCheckSeconds = new Histogram({
    name: 'loco_health_check_duration_seconds',
    help: 'Time of one health probe of one instance',
    labelNames: ['location'] as const,
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 2],
    registers: [this.registry],
  });

  readonly vncSessions = new Gauge({
    name: 'loco_vnc_sessions',
    help: 'Open VNC gateway sessions',
    labelNames: ['environment', 'mode'] as const,
    registers: [this.registry],
  });

  readonly vncBytes = new Counter({
    name: 'loco_vnc_bytes_total',
    help: 'Bytes relayed by the VNC gateway',
    labelNames: ['environment', 'direction'] as const,
    registers: [this.registry],
    collect: () => {
      for (const report of this.vncBytesSources) report();
    },
  });

  /**
   * Registers a VNC session's byte report: sessions count bytes in plain
   * numbers (and the native relay in C), and `report` adds them to
   * {@link vncBytes} before every scrape. Returns the unregister function.
   */
  reportVncBytesOnCollect(report: () => void): () => void {
    this.vncBytesSources.add(report);
    return () => this.vncBytesSources.delete(report);
  }

  readonly vncDroppedInputMessages = new Counter({
    name: 'loco_vnc_dropped_input_messages_total',
    help: 'Input messages (keys, pointer, clipboard) dropped for view-only sessions',
    labelNames: ['environment', 'type'] as const,
    registers: [this.registry],
  });

  readonly vncRejectedUpgrades = new Counter({
    name: 'loco_vnc_rejected_upgrades_total',
    help: 'Refused VNC WebSocket upgrades by HTTP status',
    labelNames: ['status'] as const,
    registers: [this.registry],
  });
}
