import { isPlaying, soundKey } from './soundChoice';

describe('which tile plays sound', () => {
  const a = soundKey('loco-demo', 0);
  const b = soundKey('loco-demo', 1);

  it('is the focused tile by default, and no tile while none is focused', () => {
    expect(isPlaying({ kind: 'focused' }, a, true)).toBe(true);
    expect(isPlaying({ kind: 'focused' }, b, false)).toBe(false);
  });

  it('is only the chosen tile once a speaker was clicked, focused or not', () => {
    expect(isPlaying({ kind: 'tile', key: b }, b, false)).toBe(true);
    expect(isPlaying({ kind: 'tile', key: b }, a, true)).toBe(false);
  });

  it('is none when the playing tile was muted', () => {
    expect(isPlaying({ kind: 'off' }, a, true)).toBe(false);
  });
});
