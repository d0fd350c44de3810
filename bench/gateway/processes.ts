// Child processes of the gateway bench: started with argument arrays, all
// stopped when the bench ends.
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '../..');
const children = new Set<ChildProcess>();

/** Starts a program; resolves once `readyLine` is on its stdout (or at once). */
export function start(
  command: string,
  args: string[],
  readyLine?: string,
): Promise<ChildProcess> {
  const child = spawn(command, args, {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let stderr = '';
  child.stderr!.on('data', d => {
    stderr += d;
    if (process.env.BENCH_CHUNKS) process.stderr.write(d);
  });
  return new Promise((resolve, reject) => {
    child.once('exit', code => {
      children.delete(child);
      reject(new Error(`${command} exited with ${code}: ${stderr}`));
    });
    if (readyLine) {
      child.stdout!.on(
        'data',
        d => String(d).includes(readyLine) && resolve(child),
      );
    } else {
      resolve(child);
    }
  });
}

export function stop(child: ChildProcess) {
  children.delete(child);
  child.kill('SIGTERM');
}

export function stopAll() {
  for (const child of children) stop(child);
}

export async function waitForPort(port: number) {
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise<boolean>(resolve => {
      const s = net.connect(
        port,
        '127.0.0.1',
        () => (s.destroy(), resolve(true)),
      );
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise(r => setTimeout(r, 50));
  }
  throw new Error(`port ${port} never opened`);
}
