import { VNC_AUDIO_FORMAT } from '@loco-portal/plugin-loco-common';

/**
 * How far ahead of the context's clock a chunk is scheduled when sound
 * (re)starts: enough to absorb a network hiccup of that size without a gap.
 */
const START_LEAD_S = 0.05;
/**
 * A chunk that would start later than this is stale (the listener fell
 * behind, e.g. a background tab): it is dropped so the sound stays close to
 * the picture instead of lagging more and more.
 */
const MAX_LATENCY_S = 0.25;

/**
 * Plays the gateway's PCM chunks (VNC_AUDIO_FORMAT) back to back on a Web
 * Audio context, through this tile's own gain (volume, mute) into the
 * context's destination. One per listening tile.
 */
export class PcmPlayer {
  private readonly gain: GainNode;
  /** Context time at which the next chunk starts; 0 when nothing is queued. */
  private nextStart = 0;

  constructor(private readonly context: AudioContext) {
    this.gain = context.createGain();
    this.gain.connect(context.destination);
  }

  setVolume(volume: number) {
    this.gain.gain.value = volume;
  }

  /** Schedules one chunk right after the previous one, or drops it if it is stale. */
  play(chunk: ArrayBuffer) {
    const { channels, sampleRate } = VNC_AUDIO_FORMAT;
    const frames = Math.floor(chunk.byteLength / (2 * channels));
    if (frames === 0) return;
    const now = this.context.currentTime;
    if (this.nextStart < now) this.nextStart = now + START_LEAD_S;
    if (this.nextStart - now > MAX_LATENCY_S) return;
    const buffer = this.context.createBuffer(channels, frames, sampleRate);
    const samples = new DataView(chunk);
    for (let c = 0; c < channels; c++) {
      const out = buffer.getChannelData(c);
      for (let i = 0; i < frames; i++) {
        out[i] = samples.getInt16((i * channels + c) * 2, true) / 32768;
      }
    }
    const source = this.context.createBufferSource();
    source.buffer = buffer;
    source.connect(this.gain);
    source.start(this.nextStart);
    this.nextStart += buffer.duration;
  }

  close() {
    this.gain.disconnect();
  }
}

let shared: AudioContext | undefined;

/**
 * The page's one AudioContext (browsers limit how many a page may have),
 * created on first use. Browsers start it suspended until a user gesture;
 * {@link resumeOnGesture} resumes it on the first one. Undefined without
 * Web Audio.
 */
export function sharedAudioContext(): AudioContext | undefined {
  // No Web Audio (an old browser, jsdom): tiles stay silent.
  if (typeof AudioContext === 'undefined') return undefined;
  if (!shared) {
    shared = new AudioContext({ latencyHint: 'interactive' });
    resumeOnGesture(shared);
  }
  return shared;
}

function resumeOnGesture(context: AudioContext) {
  const events = ['pointerdown', 'keydown'] as const;
  const resume = () => {
    void context.resume().then(() => {
      if (context.state === 'running')
        events.forEach(e => document.removeEventListener(e, resume, true));
    });
  };
  events.forEach(e => document.addEventListener(e, resume, true));
}
