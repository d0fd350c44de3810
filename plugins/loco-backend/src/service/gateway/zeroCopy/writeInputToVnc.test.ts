import net from 'node:net';
import {
  relayBetween,
  until,
  type VncTransport,
} from './__testUtils__/relayBetween';
import { writeInputToVnc } from './writeInputToVnc';

const collect = (socket: net.Socket) => {
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  return () => Buffer.concat(chunks);
};

describe.each<VncTransport>(['tcp', 'unix'])(
  'writeInputToVnc, VNC over %s',
  vncOver => {
    it('writes straight to the kernel while Node holds nothing', async () => {
      const r = await relayBetween(vncOver);
      const arrived = collect(r.vncServerSide);
      expect(writeInputToVnc(Buffer.from('key'), r.vncSocket, r.relayed)).toBe(
        true,
      );
      await until(() => arrived().length === 3);
      expect(arrived().toString()).toBe('key');
      expect(r.vncSocket.bytesWritten).toBe(0); // Node's stream never saw it
      r.cleanup();
    });

    it('queues behind input that Node still holds', async () => {
      const r = await relayBetween(vncOver);
      const arrived = collect(r.vncServerSide);
      r.vncSocket.cork(); // Node holds "first" although the kernel has room
      r.vncSocket.write('first,');
      writeInputToVnc(Buffer.from('second'), r.vncSocket, r.relayed);
      r.vncSocket.uncork();
      await until(() => arrived().length === 12);
      expect(arrived().toString()).toBe('first,second');
      r.cleanup();
    });

    it('sends what the full kernel socket did not take through Node, in order', async () => {
      const r = await relayBetween(vncOver);
      r.vncServerSide.pause(); // the VNC server stops reading
      const sent: Buffer[] = [];
      let writable = true;
      for (let i = 0; writable || i < 4; i++) {
        sent.push(Buffer.alloc(256 * 1024, i));
        writable = writeInputToVnc(sent[i], r.vncSocket, r.relayed);
      }
      expect(r.vncSocket.writableLength).toBeGreaterThan(0);
      const arrived = collect(r.vncServerSide);
      r.vncServerSide.resume();
      const total = Buffer.concat(sent);
      await until(() => arrived().length >= total.length);
      expect(arrived().equals(total)).toBe(true);
      r.cleanup();
    });
  },
);
