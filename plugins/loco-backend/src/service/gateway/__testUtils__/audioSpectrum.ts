/**
 * Goertzel power of one frequency in mono samples: the energy a listener
 * would hear at that pitch.
 */
function goertzelPower(samples: Float64Array, frequency: number, rate: number) {
  const coefficient = 2 * Math.cos((2 * Math.PI * frequency) / rate);
  let previous = 0;
  let beforePrevious = 0;
  for (const sample of samples) {
    const current = sample + coefficient * previous - beforePrevious;
    beforePrevious = previous;
    previous = current;
  }
  return (
    previous * previous +
    beforePrevious * beforePrevious -
    coefficient * previous * beforePrevious
  );
}

/**
 * The loudest pitch (5 Hz steps, 50–4000 Hz) of interleaved S16LE stereo PCM,
 * taken from its left channel. A square wave (the PC speaker) peaks at its
 * fundamental, which is the note a listener hears.
 */
export function dominantFrequency(pcm: Buffer, rate: number): number {
  const frames = Math.floor(pcm.length / 4);
  const left = new Float64Array(frames);
  for (let i = 0; i < frames; i++) left[i] = pcm.readInt16LE(i * 4);
  let best = 0;
  let bestPower = -1;
  for (let f = 50; f <= 4000; f += 5) {
    const power = goertzelPower(left, f, rate);
    if (power > bestPower) {
      bestPower = power;
      best = f;
    }
  }
  return best;
}
