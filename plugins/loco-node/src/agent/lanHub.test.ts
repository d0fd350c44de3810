import { hubAddress } from './lanHub';

describe("the LAN hub's address", () => {
  it("is found in the chart's socket and stream netdevs, and nothing else", () => {
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
});
