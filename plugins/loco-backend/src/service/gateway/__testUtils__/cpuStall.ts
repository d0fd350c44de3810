/**
 * The longest stretch of CPU time this process spent without letting a timer
 * run: what a viewer's frames cost the event loop, apart from the time the
 * operating system gave the process's core to someone else.
 *
 * Wall-clock event-loop delay (`monitorEventLoopDelay`) also counts the time
 * the process was not scheduled at all; on a two-core CI machine running QEMU
 * beside jest that alone reached 880 ms while the gateway did a few ms of
 * work. CPU time between two timer turns counts only work done in between.
 */
export class CpuStallMonitor {
  private timer?: NodeJS.Timeout;
  private lastCpuUs = 0;
  private maxCpuUs = 0;

  start(intervalMs = 5): this {
    this.lastCpuUs = cpuMicros();
    this.timer = setInterval(() => this.tick(), intervalMs);
    return this;
  }

  /** The longest CPU stretch between two timer turns so far, in ms. */
  get maxMs(): number {
    this.tick(); // the stretch that is still going on counts too
    return this.maxCpuUs / 1000;
  }

  stop(): number {
    const max = this.maxMs;
    clearInterval(this.timer);
    return max;
  }

  private tick() {
    const now = cpuMicros();
    this.maxCpuUs = Math.max(this.maxCpuUs, now - this.lastCpuUs);
    this.lastCpuUs = now;
  }
}

function cpuMicros(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}
