// CPU from /proc: Chromium's renderer and GPU processes (children of this
// bench's Node process, which Playwright launched Chromium from) and the
// portal backend's own process (its QEMU children are not counted: a
// process's own utime+stime, not its children's), and the gateway's bytes
// from the portal's Prometheus metrics.
import fs from 'node:fs/promises';
import type { Page } from 'playwright-core';

const TICKS = 100; // USER_HZ on Linux

interface Proc {
  pid: number;
  ppid: number;
  ticks: number;
  type: string;
}

async function readProc(pid: number): Promise<Proc | null> {
  try {
    const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Chromium rewrites its command line into one space-separated string.
    const cmdline = await fs.readFile(`/proc/${pid}/cmdline`, 'utf8');
    const type = /(?:^|[\s\0])--type=([^\s\0]+)/.exec(cmdline)?.[1] ?? 'main';
    // Fields 14 and 15 (utime, stime) are f[11], f[12] after pid and comm.
    return {
      pid,
      ppid: Number(f[1]),
      ticks: Number(f[11]) + Number(f[12]),
      type,
    };
  } catch {
    return null; // gone meanwhile
  }
}

async function allProcs(): Promise<Proc[]> {
  const pids = (await fs.readdir('/proc')).filter(e => /^\d+$/.test(e));
  return (await Promise.all(pids.map(p => readProc(Number(p))))).filter(
    (p): p is Proc => p !== null,
  );
}

/** Chromium's processes below `ancestor`, with their --type (renderer, gpu-process, ...). */
async function chromiumProcs(ancestor: number): Promise<Proc[]> {
  const procs = await allProcs();
  const byPid = new Map(procs.map(p => [p.pid, p]));
  const below = (p: Proc) => {
    for (let q: Proc | undefined = p, hops = 0; q && hops < 8; hops++) {
      if (q.ppid === ancestor) return true;
      q = byPid.get(q.ppid);
    }
    return false;
  };
  return procs.filter(below);
}

export interface CpuWindow {
  seconds: number;
  /** Fractions of one core over the window. */
  renderer: number;
  gpu: number;
  allChromium: number;
  backend: number;
}

/** CPU of Chromium's processes (by type) and of the backend over `ms`. */
export async function measureCpu(
  backendPid: number,
  ms: number,
): Promise<CpuWindow> {
  const snap = async () => {
    const chromium = await chromiumProcs(process.pid);
    const backend = await readProc(backendPid);
    return { chromium, backend: backend?.ticks ?? NaN, at: Date.now() };
  };
  const a = await snap();
  await new Promise(r => setTimeout(r, ms));
  const b = await snap();
  const seconds = (b.at - a.at) / 1000;
  const before = new Map(a.chromium.map(p => [p.pid, p.ticks]));
  // A process born during the window counts from zero.
  const used = (type?: RegExp) =>
    b.chromium
      .filter(p => !type || type.test(p.type))
      .reduce((sum, p) => sum + p.ticks - (before.get(p.pid) ?? 0), 0) /
    TICKS /
    seconds;
  return {
    seconds,
    renderer: used(/^renderer$/),
    gpu: used(/^gpu-process$/),
    allChromium: used(),
    backend: (b.backend - a.backend) / TICKS / seconds,
  };
}

/** loco_vnc_bytes_total for `environment`, by direction, as the portal reports it. */
export async function gatewayBytes(
  baseUrl: string,
  token: string,
  environment: string,
): Promise<Record<string, number>> {
  const response = await fetch(`${baseUrl}/api/loco/metrics`, {
    headers: { Authorization: `Bearer ${token}` },
  });
  if (!response.ok) throw new Error(`metrics: ${response.status}`);
  const text = await response.text();
  const bytes: Record<string, number> = {};
  for (const line of text.split('\n')) {
    if (!line.startsWith('loco_vnc_bytes_total{')) continue;
    if (!line.includes(`environment="${environment}"`)) continue;
    const direction = /direction="([^"]+)"/.exec(line)?.[1] ?? 'unknown';
    bytes[direction] = (bytes[direction] ?? 0) + Number(line.split(' ').pop());
  }
  return bytes;
}

export interface Usage {
  windows: CpuWindow[];
  /** Gateway to browser, over the windows, per live tile; null: unknown. */
  bytesPerSecondPerTile: number | null;
  liveTiles: number;
}

/**
 * With the page left as it is: CPU in `windows` windows of `windowMs`, the
 * gateway's bytes to the browser over all of them, and how many tiles are
 * live at the end (ours: the tile's session state; the peer: vnc_lite's own
 * status line), which the figures are divided by.
 */
export async function measureUsage(o: {
  page: Page;
  backendPid: number;
  baseUrl: string;
  token: string;
  environment: string;
  windows: number;
  windowMs: number;
}): Promise<Usage> {
  await new Promise(r => setTimeout(r, 3000)); // past connects and first full frames
  const bytes0 = await gatewayBytes(o.baseUrl, o.token, o.environment);
  const t0 = Date.now();
  const windows: CpuWindow[] = [];
  for (let r = 0; r < o.windows; r++)
    windows.push(await measureCpu(o.backendPid, o.windowMs));
  const bytes1 = await gatewayBytes(o.baseUrl, o.token, o.environment);
  const seconds = (Date.now() - t0) / 1000;
  const liveTiles = await o.page.evaluate(
    () =>
      document.querySelectorAll('[data-connection="live"]').length +
      [...document.querySelectorAll('iframe')].filter(f =>
        /^Connected/.test(
          f.contentDocument?.getElementById('status')?.textContent ?? '',
        ),
      ).length,
  );
  const toClient =
    bytes0.to_client === undefined ||
    bytes1.to_client === undefined ||
    liveTiles === 0
      ? null
      : (bytes1.to_client - bytes0.to_client) / seconds / liveTiles;
  return { windows, bytesPerSecondPerTile: toClient, liveTiles };
}
