import { BootLimiter } from './BootLimiter';

const tick = () => new Promise(r => setImmediate(r));

describe('BootLimiter', () => {
  it('lets `limit` boots run and queues the rest in order', async () => {
    const limiter = new BootLimiter(2);
    const order: number[] = [];
    const releases = await Promise.all([limiter.acquire(), limiter.acquire()]);
    const third = limiter.acquire().then(r => {
      order.push(3);
      return r;
    });
    const fourth = limiter.acquire().then(r => {
      order.push(4);
      return r;
    });
    await tick();
    expect([limiter.running, limiter.waiting]).toEqual([2, 2]);
    releases[0]();
    releases[0](); // idempotent: frees one slot only
    await tick();
    expect(order).toEqual([3]);
    expect([limiter.running, limiter.waiting]).toEqual([2, 1]);
    releases[1]();
    await fourth;
    expect(order).toEqual([3, 4]);
    (await third)();
  });

  it('drops a waiter whose instance was stopped before its turn', async () => {
    const limiter = new BootLimiter(1);
    const release = await limiter.acquire();
    const abort = new AbortController();
    const waiting = limiter.acquire(abort.signal);
    abort.abort();
    await expect(waiting).rejects.toThrow('aborted');
    expect(limiter.waiting).toBe(0);
    release();
    expect(limiter.running).toBe(0);
  });

  it('takes back a slot held past maxHoldMs, so a hung boot cannot block the queue', async () => {
    const limiter = new BootLimiter(1);
    const hung = await limiter.acquire(undefined, 50);
    const next = limiter.acquire();
    expect(limiter.waiting).toBe(1);
    const release = await next; // granted once the hung boot's 50 ms are up
    expect([limiter.running, limiter.waiting]).toEqual([1, 0]);
    hung(); // a late release of the expired slot frees nothing else
    expect(limiter.running).toBe(1);
    release();
    expect(limiter.running).toBe(0);
  });

  it('rejects a limit below one', () => {
    expect(() => new BootLimiter(0)).toThrow();
  });
});
