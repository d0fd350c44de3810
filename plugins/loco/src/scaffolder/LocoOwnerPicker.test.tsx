import { ownerChoices } from './LocoOwnerPicker';

describe('ownerChoices', () => {
  it('puts the signed-in user first, then the catalog by name, without repeating the user', () => {
    const entity = (kind: string, name: string, title?: string) => ({
      apiVersion: 'backstage.io/v1alpha1',
      kind,
      metadata: { name, namespace: 'default', title },
    });
    expect(
      ownerChoices('user:default/ada', [
        entity('Group', 'guests', 'Guests'),
        entity('User', 'ada'),
        entity('Group', 'admins'),
      ]),
    ).toEqual([
      { ref: 'user:default/ada', label: 'You' },
      { ref: 'group:default/admins', label: 'admins' },
      { ref: 'group:default/guests', label: 'Guests' },
    ]);
  });
});
