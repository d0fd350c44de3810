import {
  MAX_CUT_TEXT_BYTES,
  RfbClientFilter,
  RfbProtocolError,
} from './RfbClientFilter';
import * as msg from './__testUtils__/rfbClientMessages';

const HANDSHAKE = Buffer.concat([
  msg.version(),
  msg.securityNone(),
  msg.clientInit(0),
]);

function run(allowInput: boolean, ...chunks: Buffer[]) {
  const dropped: string[] = [];
  const filter = new RfbClientFilter({
    allowInput,
    onDropped: t => dropped.push(t),
  });
  const out = Buffer.concat(chunks.flatMap(c => filter.push(Buffer.from(c))));
  return { out, dropped, filter };
}

describe('RfbClientFilter', () => {
  it('passes the handshake and forces the shared flag so viewers never kick each other', () => {
    const { out } = run(false, HANDSHAKE);
    expect(out).toEqual(
      Buffer.concat([msg.version(), msg.securityNone(), msg.clientInit(1)]),
    );
  });

  it('passes the VNC authentication response when that security type is chosen', () => {
    const response = Buffer.alloc(16, 7);
    const { out, filter } = run(
      false,
      msg.version(),
      Buffer.from([2]),
      response,
      msg.clientInit(1),
    );
    expect(out.subarray(13, 29)).toEqual(response);
    expect(filter.inMessages).toBe(true);
  });

  it('forwards everything a control session sends, byte for byte', () => {
    const all = Buffer.concat([HANDSHAKE, ...msg.everyMessage()]);
    const { out, dropped } = run(true, all);
    expect(dropped).toEqual([]);
    expect(out).toEqual(
      Buffer.concat([
        msg.version(),
        msg.securityNone(),
        msg.clientInit(1),
        ...msg.everyMessage(),
      ]),
    );
  });

  it('drops every input message of a view-only session and keeps the rest in order', () => {
    const { out, dropped } = run(false, HANDSHAKE, ...msg.everyMessage());
    expect(dropped.sort()).toEqual(
      [
        'ClientCutText',
        'ClientCutText',
        'KeyEvent',
        'PointerEvent',
        'QemuExtendedKeyEvent',
        'SetDesktopSize',
        'Xvp',
      ].sort(),
    );
    const kept = Buffer.concat([
      msg.version(),
      msg.securityNone(),
      msg.clientInit(1),
      ...msg.everyMessage().filter(m => !msg.isInput(m)),
    ]);
    expect(out).toEqual(kept);
  });

  it('gives the same result however the stream is split, down to single bytes', () => {
    const all = Buffer.concat([HANDSHAKE, ...msg.everyMessage()]);
    const whole = run(false, all).out;
    const bytes = [...all].map(b => Buffer.from([b]));
    expect(run(false, ...bytes).out).toEqual(whole);
    for (let cut = 1; cut < all.length; cut += 3) {
      expect(run(false, all.subarray(0, cut), all.subarray(cut)).out).toEqual(
        whole,
      );
    }
  });

  it.each([
    ['an unsupported version', Buffer.from('RFB 003.003\n')],
    ['garbage instead of a version', Buffer.from('GET / HTTP/1.1\r\n')],
    [
      'an unfilterable security type (VeNCrypt)',
      Buffer.concat([msg.version(), Buffer.from([19])]),
    ],
    [
      'an unknown message type',
      Buffer.concat([HANDSHAKE, Buffer.from([7, 0, 0, 0])]),
    ],
    [
      'an unknown QEMU sub-message',
      Buffer.concat([HANDSHAKE, Buffer.from([255, 9, 0, 0])]),
    ],
    [
      'an unknown QEMU audio operation',
      Buffer.concat([HANDSHAKE, Buffer.from([255, 1, 0, 3])]),
    ],
    ['a bad pixel format', Buffer.concat([HANDSHAKE, msg.setPixelFormat(24)])],
    [
      'an oversized clipboard',
      Buffer.concat([HANDSHAKE, msg.cutTextHeader(MAX_CUT_TEXT_BYTES + 1)]),
    ],
    [
      'an oversized negative clipboard',
      Buffer.concat([HANDSHAKE, msg.cutTextHeader(-(MAX_CUT_TEXT_BYTES + 1))]),
    ],
    [
      'an extended clipboard without flags',
      Buffer.concat([HANDSHAKE, msg.cutTextHeader(-3)]),
    ],
    [
      'a fence with a 65-byte payload',
      Buffer.concat([HANDSHAKE, Buffer.from([248, 0, 0, 0, 0, 0, 0, 0, 65])]),
    ],
  ])('rejects %s', (_name, stream) => {
    expect(() => run(true, stream)).toThrow(RfbProtocolError);
  });

  it('buffers a partial message until it is complete and forwards nothing early', () => {
    const filter = new RfbClientFilter({ allowInput: true });
    filter.push(HANDSHAKE);
    const cut = msg.cutText('hello');
    expect(filter.push(cut.subarray(0, 10))).toEqual([]);
    expect(Buffer.concat(filter.push(cut.subarray(10)))).toEqual(cut);
  });
});
