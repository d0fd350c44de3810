import { MAX_INSTANCES, parseInstanceIndex } from './limits';

describe('parseInstanceIndex', () => {
  it('reads plain decimal indexes of an environment', () => {
    expect(parseInstanceIndex('0')).toBe(0);
    expect(parseInstanceIndex('7')).toBe(7);
    expect(parseInstanceIndex(String(MAX_INSTANCES - 1))).toBe(
      MAX_INSTANCES - 1,
    );
  });

  it.each([
    '',
    ' ',
    ' 1',
    '1 ',
    '+1',
    '-0',
    '01',
    '0x1',
    '1e0',
    '1.0',
    '0b1',
    'Infinity',
    '１',
  ])('refuses %j, which Number() would read as an index', text =>
    expect(parseInstanceIndex(text)).toBeUndefined(),
  );

  it('refuses indexes beyond the largest environment', () => {
    expect(parseInstanceIndex(String(MAX_INSTANCES))).toBeUndefined();
    expect(parseInstanceIndex('999')).toBeUndefined();
    expect(parseInstanceIndex('9999999999999999999999')).toBeUndefined();
  });
});
