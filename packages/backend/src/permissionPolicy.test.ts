import { ConfigReader } from '@backstage/config';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { DemoPolicy } from './permissionPolicy';

const user = (userEntityRef: string) =>
  ({
    info: { userEntityRef, ownershipEntityRefs: [userEntityRef] },
    token: 't',
    identity: {},
  } as any);
const ask = (name: string) =>
  ({ permission: { type: 'basic', name, attributes: {} } } as any);

describe('DemoPolicy', () => {
  const policy = DemoPolicy.fromConfig(
    new ConfigReader({
      locoPortal: {
        permissions: { viewOnlyUsers: ['user:development/guest'] },
      },
    }),
  );

  it('lets view-only users watch but not control or manage', async () => {
    const guest = user('user:development/guest');
    expect(
      (await policy.handle(ask('loco.environment.read'), guest)).result,
    ).toBe(AuthorizeResult.ALLOW);
    expect(
      (await policy.handle(ask('loco.instance.control'), guest)).result,
    ).toBe(AuthorizeResult.DENY);
    expect(
      (await policy.handle(ask('loco.environment.manage'), guest)).result,
    ).toBe(AuthorizeResult.DENY);
  });

  it('allows everything to other signed-in users and nothing to anonymous callers', async () => {
    expect(
      (
        await policy.handle(
          ask('loco.instance.control'),
          user('user:default/ada'),
        )
      ).result,
    ).toBe(AuthorizeResult.ALLOW);
    expect((await policy.handle(ask('loco.environment.read'))).result).toBe(
      AuthorizeResult.DENY,
    );
  });

  it('allows everyone signed in everything when nothing is configured', async () => {
    const open = DemoPolicy.fromConfig(new ConfigReader({}));
    expect(
      (
        await open.handle(
          ask('loco.instance.control'),
          user('user:development/guest'),
        )
      ).result,
    ).toBe(AuthorizeResult.ALLOW);
  });

  it('lets only the listed managers manage once managers are configured', async () => {
    const hosted = DemoPolicy.fromConfig(
      new ConfigReader({
        locoPortal: {
          permissions: { managers: ['user:development/guest'] },
        },
      }),
    );
    const player = user('user:default/player-1');
    expect(
      (await hosted.handle(ask('loco.instance.control'), player)).result,
    ).toBe(AuthorizeResult.ALLOW);
    expect(
      (await hosted.handle(ask('loco.environment.manage'), player)).result,
    ).toBe(AuthorizeResult.DENY);
    expect(
      (
        await hosted.handle(
          ask('loco.environment.manage'),
          user('user:development/guest'),
        )
      ).result,
    ).toBe(AuthorizeResult.ALLOW);
  });
});
