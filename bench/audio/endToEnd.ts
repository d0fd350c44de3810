/**
 * Guest write → browser output (issue 19): the tone's onset marked where
 * QEMU emits it (an audio-only VNC client on QEMU's own VNC socket: the
 * earliest point outside the guest where the guest's write shows) and in
 * Chromium at the tile's audio graph output (browserEar.ts, a real portal).
 * Both marks are wall clock (performance.timeOrigin + performance.now()) on
 * the same machine. The browser's own output buffering (outputLatency,
 * baseLatency) comes after the graph and is reported apart.
 */
import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { QemuAudioClient } from '../../plugins/loco-backend/src/service/gateway/audioRfbClient';

const root = path.resolve(__dirname, '../..');
const wall = () => performance.timeOrigin + performance.now();
const TARGET_MS = 150;

const loud = (pcm: Buffer) => {
  for (let i = 0; i + 1 < pcm.length; i += 2)
    if (Math.abs(pcm.readInt16LE(i)) > 1000) return true;
  return false;
};
const pct = (xs: number[], p: number) =>
  xs[Math.min(xs.length - 1, Math.floor(xs.length * p))];

export async function measureEndToEnd(tones: number): Promise<string> {
  const child = spawn(
    process.execPath,
    [
      '--disable-warning=MODULE_TYPELESS_PACKAGE_JSON',
      path.join(root, 'bench/audio/browserEar.ts'),
      String(tones),
    ],
    { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const direct: number[] = [];
  const added: (number | null)[] = [];
  let latency: Record<string, number | null> | undefined;
  let ear: QemuAudioClient | undefined;
  let lastLoud = 0;
  let pending = '';
  child.stdout!.on('data', chunk => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const line of lines) {
      const msg = JSON.parse(line);
      if (msg.vnc) {
        ear = new QemuAudioClient(net.connect(msg.vnc), {
          onPcm: pcm => {
            if (!loud(pcm)) return;
            const now = wall();
            // Loud after 300 ms of quiet: a tone's onset (as in the page).
            if (now - lastLoud > 300) direct.push(now);
            lastLoud = now;
          },
          onEnd: () => undefined,
        });
      } else if (msg.ready) direct.length = 0;
      else if ('onset' in msg) {
        const at = msg.onset as number | null;
        const from =
          at === null ? undefined : direct.filter(d => d <= at).pop();
        added.push(at === null || from === undefined ? null : at - from);
        process.stdout.write(
          `tone ${added.length}: guest → browser graph output ${
            added.at(-1) === null
              ? 'unknown (onset not seen on both sides)'
              : `${added.at(-1)!.toFixed(1)} ms`
          }\n`,
        );
      } else if (msg.latency) latency = msg.latency;
    }
  });
  const code = await new Promise(r => child.once('exit', r));
  ear?.close();
  if (code !== 0) return `end to end: unknown (browser bench exited ${code})\n`;
  const seen = added
    .filter((x): x is number => x !== null)
    .sort((a, b) => a - b);
  const out = latency?.outputLatency;
  const base = latency?.baseLatency;
  const ms = (s: number | null | undefined) =>
    typeof s === 'number' ? `${(s * 1000).toFixed(1)} ms` : 'unknown';
  if (seen.length === 0)
    return 'end to end: unknown (no tone marked on both sides)\n';
  const median = pct(seen, 0.5);
  return (
    `\nguest write → browser (onset at QEMU's VNC audio, the earliest point ` +
    `outside the guest; QEMU's own audio period before it is not observable) ` +
    `→ tile's audio graph output in Chromium, ${seen.length}/${added.length} tones: ` +
    `median ${median.toFixed(1)} ms, p90 ${pct(seen, 0.9).toFixed(1)} ms ` +
    `(target < ${TARGET_MS} ms)\n` +
    `browser's own output buffering after the graph: outputLatency ${ms(
      out,
    )}, baseLatency ${ms(
      base,
    )} (headless Chromium; a real sound card differs)\n` +
    (typeof out === 'number'
      ? `median + outputLatency = ${(median + out * 1000).toFixed(1)} ms\n`
      : '')
  );
}
