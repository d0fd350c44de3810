/**
 * Sound bench (issue 19): the demo guest under a real QEMU (AC97 + PC
 * speaker on the `none` audio backend), the real gateway in its own process
 * (bench/gateway/gatewayHost.ts), and two ears on the same tone: an
 * audio-only RFB client straight on QEMU's VNC socket, and a listener on the
 * gateway's sound WebSocket. Prints the gateway's added latency (onset seen
 * through the gateway minus onset seen at QEMU), the browser player's fixed
 * scheduling lead, and bytes per second per playing tile. Then the screen's
 * frame rate (real FramebufferUpdates, counted as they arrive through the
 * gateway while the guest scrolls text) with sound off and with sound
 * playing and relayed, side by side, as a ratio.
 * QEMU's own audio period (guest write → VNC message, ~10 ms timer) is not
 * observable from outside the guest and is not included.
 * Last, guest write → browser output (endToEnd.ts): the onset at QEMU's VNC
 * socket and at the tile's audio graph output in Chromium on a real portal,
 * median and p90 against the 150 ms target.
 *
 *   npm run bench:audio
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { VNC_AUDIO_FORMAT } from '@loco-portal/plugin-loco-common';
import { QemuAudioClient } from '../../plugins/loco-backend/src/service/gateway/audioRfbClient';
import { ScreenFrames } from './screenFrames';
import { measureEndToEnd } from './endToEnd';

const root = path.resolve(__dirname, '../..');
const require_ = createRequire(path.join(root, 'package.json'));
const WebSocket = require_('ws');
const DISK = path.join(root, '.cache/images/loco-demo.qcow2');
const PORT = 7456;
const TONES = 5;
/** Tones marked in the browser for the guest → browser figure. */
const E2E_TONES = 10;
/** How long each frame-rate sample counts frames. */
const FRAME_WINDOW_MS = 8000;
const FRAME_ROUNDS = 3;
/** The player's START_LEAD_S (plugins/loco/src/components/VncTile/audio/pcmPlayer.ts). */
const PLAYER_LEAD_MS = 50;

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));
/** A chunk holding sound above the noise floor: the onset of a tone. */
const loud = (pcm: Buffer) => {
  for (let i = 0; i + 1 < pcm.length; i += 2)
    if (Math.abs(pcm.readInt16LE(i)) > 1000) return true;
  return false;
};

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loco-audio-bench-'));
  const vncPath = path.join(dir, 'vnc.sock');
  const overlay = path.join(dir, 'disk.qcow2');
  await run('qemu-img', [
    'create',
    '-q',
    '-f',
    'qcow2',
    '-b',
    DISK,
    '-F',
    'qcow2',
    overlay,
  ]);
  const qemu = spawn(
    'qemu-system-x86_64',
    [
      '-machine',
      'pc,accel=tcg,pcspk-audiodev=snd0',
      '-m',
      '128',
      '-drive',
      `file=${overlay},format=qcow2,if=ide,index=0,media=disk`,
      '-display',
      'none',
      '-vnc',
      `unix:${vncPath},audiodev=snd0`,
      '-audiodev',
      'none,id=snd0',
      '-device',
      'AC97,audiodev=snd0',
    ],
    { stdio: 'ignore' },
  );
  const gateway = spawn(
    process.execPath,
    [
      '--require',
      '@backstage/cli-node/config/nodeTransform.cjs',
      path.join(root, 'bench/gateway/gatewayHost.ts'),
      String(PORT),
      vncPath,
      'js',
    ],
    { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  try {
    await new Promise(r => gateway.stdout!.once('data', r));
    while (!fs.existsSync(vncPath)) await sleep(100);

    const direct: number[] = [];
    const relayed: number[] = [];
    let relayedBytes = 0;
    let firstRelayed = 0;
    let lastRelayed = 0;
    const socket = net.connect(vncPath);
    let directQuiet = true;
    const directEar = new QemuAudioClient(socket, {
      onPcm: pcm => {
        if (loud(pcm) && directQuiet) direct.push(performance.now());
        directQuiet = !loud(pcm) && directQuiet;
      },
      onEnd: () => undefined,
    });
    const base = `ws://127.0.0.1:${PORT}/api/loco/environments/bench/instances/0`;
    const headers = { Authorization: 'Bearer bench-token' };
    const listener = new WebSocket(`${base}/audio`, ['binary'], { headers });
    let relayedQuiet = true;
    listener.on('message', (pcm: Buffer) => {
      const now = performance.now();
      relayedBytes += pcm.length;
      firstRelayed ||= now;
      lastRelayed = now;
      if (loud(pcm) && relayedQuiet) relayed.push(now);
      relayedQuiet = !loud(pcm) && relayedQuiet;
    });
    const screen = new WebSocket(`${base}/vnc`, ['binary'], { headers });
    await Promise.all(
      [listener, screen].map(ws => new Promise(r => ws.once('open', r))),
    );
    // A shared RFB client that reads every frame; its keys reach the guest.
    const frames = new ScreenFrames(screen);
    frames.run().catch(error => process.stderr.write(`screen: ${error}\n`));

    process.stderr.write(
      'booting the demo guest (boot jingle ends the wait)…\n',
    );
    while (direct.length === 0) await sleep(250);
    await sleep(3000);
    direct.length = 0;
    relayed.length = 0;
    for (let i = 0; i < TONES; i++) {
      directQuiet = relayedQuiet = true;
      relayedBytes = 0;
      firstRelayed = 0;
      frames.type('tone 880 1000');
      await sleep(2500);
      const seconds = (lastRelayed - firstRelayed) / 1000;
      process.stdout.write(
        `tone ${i + 1}: gateway added ${(relayed[i] - direct[i]).toFixed(
          1,
        )} ms; ` + `${Math.round(relayedBytes / seconds)} B/s while playing\n`,
      );
    }
    const added = relayed.map((t, i) => t - direct[i]).sort((a, b) => a - b);
    const median = added[Math.floor(added.length / 2)];
    process.stdout.write(
      `\nmedian gateway latency ${median.toFixed(
        1,
      )} ms + player lead ${PLAYER_LEAD_MS} ms ` +
        `= ${(median + PLAYER_LEAD_MS).toFixed(
          1,
        )} ms (target < 150 ms; plus QEMU's ~10 ms audio period ` +
        `and the browser's output latency)\n` +
        `format ${VNC_AUDIO_FORMAT.encoding} ${VNC_AUDIO_FORMAT.channels} ch ${VNC_AUDIO_FORMAT.sampleRate} Hz = ` +
        `${
          VNC_AUDIO_FORMAT.sampleRate * VNC_AUDIO_FORMAT.channels * 2
        } B/s nominal; nothing while silent\n`,
    );

    // The screen's frame rate, sound off vs on: the guest scrolls text
    // without end (every frame changes), first in silence, then with tones
    // back to back that the gateway relays to the listener.
    frames.type('while :; do echo $RANDOM; done &');
    await sleep(3000);
    const rate = async () => {
      const [f0, t0] = [frames.frames, performance.now()];
      await sleep(FRAME_WINDOW_MS);
      return ((frames.frames - f0) * 1000) / (performance.now() - t0);
    };
    // Rounds alternate, so a change in the machine's load shows in both.
    const ratios: number[] = [];
    for (let round = 1; round <= FRAME_ROUNDS; round++) {
      const off = await rate();
      frames.type('while :; do tone 880 1900; done &');
      await sleep(2000);
      const bytesBefore = relayedBytes;
      const on = await rate();
      const relayedDuring = relayedBytes - bytesBefore;
      frames.type('kill $!');
      await sleep(2500);
      ratios.push(on / off);
      process.stdout.write(
        `screen frames/s through the gateway, round ${round} (${
          FRAME_WINDOW_MS / 1000
        } s each): sound off (guest silent) ${off.toFixed(1)}, ` +
          `sound on ${on.toFixed(1)} (on/off ${(on / off).toFixed(2)}; ` +
          `${relayedDuring} B of sound relayed meanwhile)\n`,
      );
    }
    ratios.sort((x, y) => x - y);
    process.stdout.write(
      `median screen frame rate on/off: ${ratios[
        Math.floor(ratios.length / 2)
      ].toFixed(2)}\n`,
    );
    frames.type('kill %1');
    directEar.close();
    listener.close();
    screen.close();
  } finally {
    gateway.kill('SIGTERM');
    qemu.kill('SIGTERM');
    fs.rmSync(dir, { recursive: true, force: true });
  }
  // Guest write → browser output through a real portal and Chromium, once
  // this QEMU is gone (endToEnd.ts).
  process.stderr.write(
    'starting a portal and Chromium for the end-to-end figure…\n',
  );
  process.stdout.write(await measureEndToEnd(E2E_TONES));
}

function run(command: string, args: string[]) {
  return new Promise<void>((resolve, reject) =>
    spawn(command, args, { stdio: 'inherit' }).once('exit', code =>
      code === 0 ? resolve() : reject(new Error(`${command} exited ${code}`)),
    ),
  );
}

main().then(
  () => process.exit(0),
  error => {
    process.stderr.write(`${error?.stack ?? error}\n`);
    process.exit(1);
  },
);
