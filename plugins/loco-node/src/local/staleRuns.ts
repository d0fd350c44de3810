import fs from 'node:fs/promises';
import path from 'node:path';
import type { LoggerService } from '@backstage/backend-plugin-api';
import { readCmdline, readProcStat } from './procStat';

/** Run directories are named `<environment>-<index>`. */
const RUN_DIR_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?-\d+$/;
export const PID_FILE = 'qemu.pid';

/**
 * True when `pid` is a QEMU this runtime started for `runDir`: its command line
 * is a qemu-system binary serving QMP on that run directory's socket. A pid
 * file alone proves nothing (pids are reused).
 */
export async function isOurQemu(pid: number, runDir: string): Promise<boolean> {
  const argv = await readCmdline(pid);
  if (!argv || argv.length === 0) return false;
  return (
    path.basename(argv[0]).startsWith('qemu-system') &&
    argv.includes(`unix:${runDir}/qmp.sock,server=on,wait=off`)
  );
}

/** Whether a live Node process (another backend) is the parent of `pid`. */
async function supervisedByLiveBackend(pid: number): Promise<number | null> {
  const stat = await readProcStat(pid);
  if (!stat || stat.ppid <= 1 || stat.ppid === process.pid) return null;
  const parent = await readCmdline(stat.ppid);
  return parent && /(^|\/)node[0-9]*$/.test(parent[0] ?? '') ? stat.ppid : null;
}

async function waitGone(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const stat = await readProcStat(pid);
    if (!stat) return true;
    await new Promise(r => setTimeout(r, 50));
  }
  return false;
}

/**
 * Cleans up what a crashed backend left in this runtime's own run root: kills
 * QEMUs whose pid file AND /proc/<pid>/cmdline prove they are ours and that no
 * live backend supervises, then removes their run directories (sockets, pid
 * files, ephemeral overlays). Nothing outside `runRoot` is touched.
 */
export async function cleanStaleRuns(
  runRoot: string,
  logger: LoggerService,
): Promise<{ killed: number[]; removed: string[] }> {
  const killed: number[] = [];
  const removed: string[] = [];
  const entries = await fs
    .readdir(runRoot, { withFileTypes: true })
    .catch(() => []);
  for (const entry of entries) {
    if (!entry.isDirectory() || !RUN_DIR_NAME.test(entry.name)) continue;
    const runDir = path.join(runRoot, entry.name);
    const pidText = await fs
      .readFile(path.join(runDir, PID_FILE), 'utf8')
      .catch(() => '');
    const pid = /^\d+$/.test(pidText.trim()) ? Number(pidText.trim()) : null;
    if (pid !== null && (await isOurQemu(pid, runDir))) {
      const supervisor = await supervisedByLiveBackend(pid);
      if (supervisor !== null) {
        logger.warn(
          `${entry.name}: QEMU ${pid} is still supervised by live process ${supervisor}; leaving it alone`,
        );
        continue;
      }
      logger.warn(
        `${entry.name}: killing orphaned QEMU ${pid} left by a previous run`,
      );
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
      await waitGone(pid, 5000);
      killed.push(pid);
    }
    await fs.rm(runDir, { recursive: true, force: true });
    removed.push(entry.name);
  }
  return { killed, removed };
}
