/**
 * Parser and filter of the client-to-server half of an RFB (VNC) stream.
 *
 * The gateway cannot trust a browser's `viewOnly` flag, so it reads every byte
 * a viewer sends, message by message, and forwards only what the session may
 * send and QEMU understands (see {@link measureClientMessage}). A message of
 * unknown type has no knowable length, so it ends the session instead of
 * being guessed at.
 *
 * Cost is linear in the bytes received however they are framed: whole
 * messages go out as zero-copy slices of the received chunk; a message split
 * over chunks is copied once into blocks (forwarded) or skipped unread
 * (dropped); only a header cut short (< 12 bytes) is joined with the next
 * chunk. A split message may not take longer than `maxPendingMs`, nor be
 * longer than `maxMessageBytes`.
 */
import {
  ENCODING_EXTENDED_CLIPBOARD,
  listsEncoding,
  MAX_HEADER_BYTES,
  MAX_MESSAGE_BYTES,
  measureClientMessage,
  RfbProtocolError,
  type MeasuredMessage,
  type RfbMessageName,
} from './measureClientMessage';

export {
  MAX_CUT_TEXT_BYTES,
  MAX_MESSAGE_BYTES,
  RfbProtocolError,
  type RfbInputType,
  type RfbMessageName,
} from './measureClientMessage';

/** Why a message was not forwarded. */
export type RfbDropReason =
  /** Input from a view-only session. */
  | 'view-only'
  /** QEMU would drop the connection on it (QEMU 7.2 lacks it). */
  | 'unsupported';

export interface RfbClientFilterOptions {
  /** False for view-only sessions: every input message is dropped here. */
  allowInput: boolean;
  /** Called once per dropped message. */
  onDropped?: (message: RfbMessageName, reason: RfbDropReason) => void;
  /** Longest time a message may take to arrive whole; default 10 s. */
  maxPendingMs?: number;
  /** Longest message accepted; default {@link MAX_MESSAGE_BYTES}. */
  maxMessageBytes?: number;
  /** Clock of the pending-time limit (ms); default `Date.now`. */
  now?: () => number;
}

export const DEFAULT_MAX_PENDING_MS = 10_000;
/** Size of the blocks a split message is copied into. */
const BLOCK_BYTES = 64 * 1024;

type State = 'version' | 'security' | 'vncAuth' | 'clientInit' | 'messages';

const SECURITY_NONE = 1;
const SECURITY_VNC_AUTH = 2;
const VNC_AUTH_RESPONSE_BYTES = 16;

/** A message whose length is known and whose end has not arrived yet. */
interface OpenMessage {
  remaining: number;
  setsEncodings: boolean;
  /** Where a forwarded message's bytes gather; absent: dropped, skipped. */
  blocks?: Blocks;
}

/**
 * A forwarded message arriving in pieces: copied once into blocks allocated
 * as bytes arrive, so memory follows what the viewer sent, not what its
 * header claims.
 */
class Blocks {
  readonly parts: Buffer[] = [];
  received = 0;
  private used = 0;

  constructor(private readonly length: number) {}

  append(src: Buffer, from: number, to: number) {
    for (let at = from; at < to; ) {
      let last = this.parts[this.parts.length - 1];
      if (!last || this.used === last.length) {
        const size = Math.min(BLOCK_BYTES, this.length - this.received);
        last = Buffer.allocUnsafe(size);
        this.parts.push(last);
        this.used = 0;
      }
      const n = Math.min(to - at, last.length - this.used);
      src.copy(last, this.used, at, at + n);
      this.used += n;
      this.received += n;
      at += n;
    }
  }
}

export class RfbClientFilter {
  private state: State = 'version';
  /** Start of a message whose header is not complete yet (< 12 bytes). */
  private head: Buffer | undefined;
  private open: OpenMessage | undefined;
  /** When the first byte of the pending message (head or open) arrived. */
  private pendingSince: number | undefined;
  private readonly features = { extendedClipboard: false };
  private readonly maxPendingMs: number;
  private readonly maxMessageBytes: number;
  private readonly now: () => number;
  /** Messages forwarded/dropped so far (tests and logs). */
  forwardedMessages = 0;
  droppedMessages = 0;
  /** Input (keys, pointer, clipboard, power) forwarded, and dropped as view-only: the session's audit record. */
  forwardedInputMessages = 0;
  droppedInputMessages = 0;
  /** Starts as the option; a seat change flips it for the messages that follow. */
  private allowInput: boolean;

  constructor(private readonly options: RfbClientFilterOptions) {
    this.allowInput = options.allowInput;
    this.maxPendingMs = options.maxPendingMs ?? DEFAULT_MAX_PENDING_MS;
    this.maxMessageBytes = options.maxMessageBytes ?? MAX_MESSAGE_BYTES;
    this.now = options.now ?? Date.now;
  }

  /**
   * Lets input through from the next message on, or drops it (a seat changed
   * holder while the session is open). A message already begun keeps its
   * decision, so no half message ever reaches the server.
   */
  setAllowInput(allow: boolean) {
    this.allowInput = allow;
  }

  /**
   * Feeds bytes received from the client; returns the slices to forward to the
   * server, in order. Throws {@link RfbProtocolError} on a malformed stream or
   * a message pending too long. May modify `chunk` in place (the ClientInit
   * shared flag).
   */
  push(chunk: Buffer): Buffer[] {
    if (this.pendingSince !== undefined) this.checkPendingDeadline();
    const out: Buffer[] = [];
    let off = 0;
    if (this.head) {
      const joined = Buffer.concat([
        this.head,
        chunk.subarray(0, MAX_HEADER_BYTES),
      ]);
      const m = this.measure(joined, 0, joined.length);
      if (!m) {
        // Every header fits in MAX_HEADER_BYTES: the whole chunk is in `joined`.
        if (chunk.length >= MAX_HEADER_BYTES)
          throw new Error('RFB header longer than MAX_HEADER_BYTES');
        this.head = joined;
        return out;
      }
      const held = this.head;
      this.head = undefined;
      this.begin(m, held, 0, held.length);
    }
    if (this.open) off = this.continue(chunk, out);
    let run = off; // start of a run of whole forwarded messages
    while (off < chunk.length) {
      const avail = chunk.length - off;
      const m = this.measure(chunk, off, avail);
      if (!m) {
        this.head = Buffer.from(chunk.subarray(off));
        break;
      }
      if (avail < m.length) {
        if (off > run) out.push(chunk.subarray(run, off));
        this.begin(m, chunk, off, chunk.length);
        run = chunk.length;
        break;
      }
      if (this.decide(m)) {
        if (m.setsEncodings) this.setEncodings(chunk, off);
      } else {
        if (off > run) out.push(chunk.subarray(run, off));
        run = off + m.length;
      }
      off += m.length;
    }
    if (off > run) out.push(chunk.subarray(run, off));
    if (this.head || this.open) this.pendingSince ??= this.now();
    return out;
  }

  /**
   * Throws {@link RfbProtocolError} when a message has been arriving for
   * longer than `maxPendingMs`: ends a viewer that stalls mid-message and
   * sends nothing more (the session calls this from its timer).
   */
  checkPendingDeadline(now: number = this.now()) {
    if (this.pendingSince === undefined) return;
    const pendingMs = now - this.pendingSince;
    if (pendingMs > this.maxPendingMs) {
      throw new RfbProtocolError(
        `a message took more than ${this.maxPendingMs} ms to arrive`,
      );
    }
  }

  /** True once the handshake is over and normal messages flow. */
  get inMessages(): boolean {
    return this.state === 'messages';
  }

  /** Bytes held for a message not complete yet (tests: memory follows what arrived). */
  get pendingBytes(): number {
    return (this.head?.length ?? 0) + (this.open?.blocks?.received ?? 0);
  }

  /** Opens a message whose first bytes are `buf[from, to)`. */
  private begin(m: MeasuredMessage, buf: Buffer, from: number, to: number) {
    const blocks = this.decide(m) ? new Blocks(m.length) : undefined;
    blocks?.append(buf, from, to);
    this.open = {
      remaining: m.length - (to - from),
      setsEncodings: m.setsEncodings === true,
      blocks,
    };
  }

  /** Feeds the open message from the chunk's start; returns where it ended. */
  private continue(chunk: Buffer, out: Buffer[]): number {
    const open = this.open!;
    const take = Math.min(open.remaining, chunk.length);
    open.blocks?.append(chunk, 0, take);
    open.remaining -= take;
    if (open.remaining > 0) return take;
    this.open = undefined;
    this.pendingSince = undefined;
    if (open.blocks) {
      const parts = open.blocks.parts;
      if (open.setsEncodings) {
        const whole = parts.length === 1 ? parts[0] : Buffer.concat(parts);
        this.setEncodings(whole, 0);
        out.push(whole);
      } else out.push(...parts);
    }
    return take;
  }

  /** Counts the message; true to forward it. */
  private decide(m: MeasuredMessage): boolean {
    const reason =
      m.input && !this.allowInput
        ? 'view-only'
        : m.unsupported && 'unsupported';
    if (!reason) {
      this.forwardedMessages++;
      if (m.input) this.forwardedInputMessages++;
      return true;
    }
    this.droppedMessages++;
    if (reason === 'view-only') this.droppedInputMessages++;
    this.options.onDropped?.(
      reason === 'view-only' ? m.input! : m.unsupported!,
      reason,
    );
    return false;
  }

  /** QEMU resets its session features on every SetEncodings. */
  private setEncodings(buf: Buffer, off: number) {
    this.features.extendedClipboard = listsEncoding(
      buf,
      off,
      ENCODING_EXTENDED_CLIPBOARD,
    );
  }

  /**
   * Length of the message at `off`, or undefined while its header is short.
   * Called once per message with a result: handshake steps advance here.
   */
  private measure(
    buf: Buffer,
    off: number,
    avail: number,
  ): MeasuredMessage | undefined {
    switch (this.state) {
      case 'version': {
        if (avail < 12) return undefined;
        const version = buf.toString('latin1', off, off + 12);
        // 3.3 lets the server pick the security type unseen by us, so only the
        // versions where the client names it are accepted (QEMU speaks 3.8).
        if (version !== 'RFB 003.008\n' && version !== 'RFB 003.007\n') {
          throw new RfbProtocolError(
            `unsupported RFB version ${JSON.stringify(version)}`,
          );
        }
        this.state = 'security';
        return { length: 12 };
      }
      case 'security': {
        const type = buf[off];
        // Other types (VeNCrypt, TLS, SASL...) encrypt or extend the stream
        // beyond what this filter can read, and would bypass view-only.
        if (type === SECURITY_NONE) this.state = 'clientInit';
        else if (type === SECURITY_VNC_AUTH) this.state = 'vncAuth';
        else
          throw new RfbProtocolError(
            `security type ${type} cannot be filtered`,
          );
        return { length: 1 };
      }
      case 'vncAuth':
        this.state = 'clientInit';
        return { length: VNC_AUTH_RESPONSE_BYTES };
      case 'clientInit':
        // shared-flag = 1: with 0 QEMU would disconnect every other viewer.
        buf[off] = 1;
        this.state = 'messages';
        return { length: 1 };
      default: {
        const m = measureClientMessage(buf, off, avail, this.features);
        if (m && m.length > this.maxMessageBytes) {
          throw new RfbProtocolError(
            `message of ${m.length} bytes exceeds ${this.maxMessageBytes}`,
          );
        }
        return m;
      }
    }
  }
}
