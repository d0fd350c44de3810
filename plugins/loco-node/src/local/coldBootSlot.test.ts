import { BootLimiter } from './BootLimiter';
import { ColdBootSlot } from './coldBootSlot';

describe('ColdBootSlot', () => {
  it('queues a second cold boot until the first gives its slot back', async () => {
    const limiter = new BootLimiter(1);
    const first = new ColdBootSlot(limiter, 60_000);
    const second = new ColdBootSlot(limiter, 60_000);
    const queued = jest.fn();

    await expect(first.take(queued)).resolves.toBe(true);
    expect(queued).not.toHaveBeenCalled();
    const secondTurn = second.take(queued);
    expect(queued).toHaveBeenCalledTimes(1);
    expect(second.isWaiting).toBe(true);

    first.giveBack();
    first.giveBack(); // idempotent: must not free a second slot
    await expect(secondTurn).resolves.toBe(true);
    expect(second.isWaiting).toBe(false);
    expect(limiter.running).toBe(1);
  });

  it('leaves the queue when the start is cancelled, holding nothing', async () => {
    const limiter = new BootLimiter(1);
    const holder = new ColdBootSlot(limiter, 60_000);
    const stopped = new ColdBootSlot(limiter, 60_000);
    await holder.take();

    const turn = stopped.take();
    stopped.cancelWait();
    await expect(turn).resolves.toBe(false);
    expect(stopped.isWaiting).toBe(false);
    expect(limiter.waiting).toBe(0);
    holder.giveBack();
    expect(limiter.running).toBe(0);
  });
});
