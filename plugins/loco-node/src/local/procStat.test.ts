import { spawn } from 'node:child_process';
import { readRunQueueWaitNs } from './procStat';

describe('readRunQueueWaitNs', () => {
  it("sums a live process's threads' run-queue waits, and is null once the process is gone", async () => {
    const child = spawn(process.execPath, [
      '-e',
      'setTimeout(() => {}, 60000)',
    ]);
    try {
      const waited = await readRunQueueWaitNs(child.pid!);
      expect(typeof waited).toBe('number');
      expect(waited).toBeGreaterThanOrEqual(0);
    } finally {
      child.kill('SIGKILL');
      await new Promise(resolve => child.once('exit', resolve));
    }
    // Reaped: its /proc entry is gone.
    expect(await readRunQueueWaitNs(child.pid!)).toBeNull();
  });
});
