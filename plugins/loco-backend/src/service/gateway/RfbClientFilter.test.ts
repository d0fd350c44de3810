import {
  MAX_CUT_TEXT_BYTES,
  RfbClientFilter,
  RfbProtocolError,
} from './RfbClientFilter';
import { randomChunks, randomMessages } from './__testUtils__/randomRfb';
import * as msg from './__testUtils__/rfbClientMessages';

const HANDSHAKE = Buffer.concat([
  msg.version(),
  msg.securityNone(),
  msg.clientInit(0),
]);

function run(allowInput: boolean, ...chunks: Buffer[]) {
  const dropped: string[] = [];
  const reasons: string[] = [];
  const filter = new RfbClientFilter({
    allowInput,
    onDropped: (t, reason) => {
      dropped.push(t);
      reasons.push(reason);
    },
  });
  const out = Buffer.concat(chunks.flatMap(c => filter.push(Buffer.from(c))));
  return { out, dropped, reasons, filter };
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

  it('forwards everything of a control session that QEMU takes, byte for byte', () => {
    const all = Buffer.concat([HANDSHAKE, ...msg.everyMessage()]);
    const { out, dropped } = run(true, all);
    // QEMU takes xvp only with power-control, which loco never sets.
    expect(dropped).toEqual(['Xvp']);
    expect(out).toEqual(
      Buffer.concat([
        msg.version(),
        msg.securityNone(),
        msg.clientInit(1),
        ...msg.everyMessage().filter(m => m[0] !== 250),
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

  it.each([
    ['view-only', false],
    ['control', true],
  ])(
    'gives the same result however the stream of a %s session is split, down to single bytes',
    (_mode, allowInput) => {
      const all = Buffer.concat([
        HANDSHAKE,
        ...msg.unsupportedByQemu(),
        ...msg.everyMessage(),
        ...msg.unsupportedByQemu(),
      ]);
      const whole = run(allowInput, all);
      const bytes = [...all].map(b => Buffer.from([b]));
      const split = run(allowInput, ...bytes);
      expect(split.out).toEqual(whole.out);
      expect(split.dropped).toEqual(whole.dropped);
      for (let cut = 1; cut < all.length; cut += 3) {
        const two = run(allowInput, all.subarray(0, cut), all.subarray(cut));
        expect(two.out).toEqual(whole.out);
      }
      const stream = Buffer.concat([HANDSHAKE, ...randomMessages(400, 3)]);
      expect(run(allowInput, ...randomChunks(stream, 5)).out).toEqual(
        run(allowInput, stream).out,
      );
    },
  );

  it.each([
    ['view-only', false],
    ['control', true],
  ])(
    'swallows what QEMU 7.2 would drop the connection on, from a %s session, and goes on',
    (_mode, allowInput) => {
      const { out, dropped, reasons } = run(
        allowInput,
        HANDSHAKE,
        ...msg.unsupportedByQemu(),
        msg.framebufferUpdateRequest(),
      );
      expect(out).toEqual(
        Buffer.concat([
          msg.version(),
          msg.securityNone(),
          msg.clientInit(1),
          msg.framebufferUpdateRequest(),
        ]),
      );
      expect(dropped).toEqual([
        'EnableContinuousUpdates',
        'ClientFence',
        'ClientCutText',
      ]);
      // A view-only session's clipboard is input first.
      expect(reasons).toEqual(
        allowInput
          ? ['unsupported', 'unsupported', 'unsupported']
          : ['unsupported', 'unsupported', 'view-only'],
      );
    },
  );

  it('forwards the extended clipboard only while the last SetEncodings enables it, as QEMU does', () => {
    const clip = msg.extendedCutText(0x10000000, Buffer.from('z'));
    const on = msg.setEncodings([0, msg.EXTENDED_CLIPBOARD]);
    const off = msg.setEncodings([0]);
    const { out, dropped } = run(true, HANDSHAKE, clip, on, clip, off, clip);
    expect(out.subarray(HANDSHAKE.length)).toEqual(
      Buffer.concat([on, clip, off]),
    );
    expect(dropped).toEqual(['ClientCutText', 'ClientCutText']);
  });

  it('accepts SetPixelFormat of any depth without true colour (QEMU then picks 8 bits)', () => {
    const format = msg.setPixelFormat(24);
    format[7] = 0; // true-colour flag
    expect(run(true, HANDSHAKE, format).out.subarray(HANDSHAKE.length)).toEqual(
      format,
    );
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
      'an audio format QEMU lacks',
      Buffer.concat([HANDSHAKE, msg.qemuAudioFormat(6)]),
    ],
    [
      'three audio channels',
      Buffer.concat([HANDSHAKE, msg.qemuAudioFormat(3, 3)]),
    ],
    [
      'an audio rate above 48 kHz',
      Buffer.concat([HANDSHAKE, msg.qemuAudioFormat(3, 2, 48001)]),
    ],
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
