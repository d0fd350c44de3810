import net from 'node:net';
import { hubAccepts, hubAddress } from './lanHub';

describe('the LAN hub wait', () => {
  it("finds the hub in the chart's socket and stream netdevs, and nothing else", () => {
    expect(
      hubAddress('socket,id=lan0,connect=lab-lan-3.loco.svc:5555'),
    ).toEqual({ host: 'lab-lan-3.loco.svc', port: 5555 });
    expect(
      hubAddress(
        'stream,id=lan0,server=off,addr.type=inet,addr.host=lab-lan-0.loco.svc,addr.port=5555,reconnect=3',
      ),
    ).toEqual({ host: 'lab-lan-0.loco.svc', port: 5555 });
    expect(
      hubAddress('socket,id=lan0,mcast=239.77.1.2:20000,localaddr=127.0.0.1'),
    ).toBeNull();
  });

  it('knows whether the hub accepts connections', async () => {
    const hub = net.createServer(socket => socket.destroy());
    await new Promise<void>(resolve => hub.listen(0, '127.0.0.1', resolve));
    const { port } = hub.address() as net.AddressInfo;
    expect(await hubAccepts({ host: '127.0.0.1', port })).toBe(true);
    await new Promise<void>(resolve => hub.close(() => resolve()));
    expect(await hubAccepts({ host: '127.0.0.1', port })).toBe(false);
  });
});
