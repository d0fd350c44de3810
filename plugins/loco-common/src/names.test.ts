import { environmentNameProblem, snapshotTagProblem } from './names';

describe('environment names', () => {
  it.each(['lan-party', 'a', 'loco9', 'a'.repeat(40)])('accepts %j', name => {
    expect(environmentNameProblem(name)).toBeUndefined();
  });

  it.each([
    // A Service name is an RFC 1035 label: a digit first makes it invalid.
    '9lan',
    '0',
    '-lan',
    'lan-',
    'Lan',
    'lan_party',
    'lan.party',
    '',
    'a'.repeat(41),
    'lan\nkind: Secret',
  ])('refuses %j with the rule', name => {
    expect(environmentNameProblem(name)).toMatch(/starting with a letter/);
  });
});

describe('snapshot tags', () => {
  it.each(['win98-base', 'v1.2_3', '9', 'A'.repeat(64)])('accepts %j', tag => {
    expect(snapshotTagProblem(tag)).toBeUndefined();
  });

  // OCI allows both of the first two; the emulator agent refuses them (exit 2).
  it.each(['_base', 'A'.repeat(65), '.hidden', '-x', 'a b', 'a:b', 'a/b', ''])(
    'refuses %j with the rule',
    tag => {
      expect(snapshotTagProblem(tag)).toMatch(/at most 64 characters/);
    },
  );
});
