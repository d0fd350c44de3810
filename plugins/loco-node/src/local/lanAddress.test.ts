import { lanEndpoint } from './lanAddress';

describe('lanEndpoint', () => {
  it('gives an environment the same LAN every time, in the administratively scoped multicast range', () => {
    const lan = lanEndpoint('loco-demo', '/tmp/loco-1');
    expect(lanEndpoint('loco-demo', '/tmp/loco-1')).toEqual(lan);
    expect(lan.group).toMatch(/^239\.77\.\d{1,3}\.\d{1,3}$/);
    expect(lan.port).toBeGreaterThanOrEqual(20000);
    expect(lan.port).toBeLessThan(40000);
  });

  it("keeps two portals' environments of one name apart (a developer's portal and an e2e run)", () => {
    const developers = lanEndpoint('loco-demo', '/tmp/loco-0123456789');
    const e2eRun = lanEndpoint('loco-demo', '/tmp/loco-abcdef0123');
    expect(
      e2eRun.group === developers.group && e2eRun.port === developers.port,
    ).toBe(false);
  });

  it('keeps two environments of one portal apart', () => {
    const a = lanEndpoint('lab-a', '/tmp/loco-1');
    const b = lanEndpoint('lab-b', '/tmp/loco-1');
    expect(a.group === b.group && a.port === b.port).toBe(false);
  });
});
