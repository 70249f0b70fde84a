import { Injectable, OnModuleDestroy } from '@nestjs/common';

/**
 * Which console commands are still to be answered, so news can wait for answers. When 200 agents press "next" at
 * once, each claim is news to the whole department: 200 claims are 40,000 pushes, and sending them while claims are
 * still being answered put the later acks behind tens of milliseconds of colleagues' news (the agent who pressed is
 * waiting; the queue's refresh can wait a moment). ConsoleListeners holds its pushes while commands tracked here
 * are in flight, for at most a bound, so the news is never held for long.
 */
@Injectable()
export class CommandsInFlight implements OnModuleDestroy {
  private pending = 0;
  private waiters: Array<() => void> = [];
  private readonly timers = new Set<NodeJS.Timeout>();

  /** Counts `work` as in flight until it settles. */
  async track<T>(work: Promise<T>): Promise<T> {
    this.pending++;
    try {
      return await work;
    } finally {
      if (--this.pending === 0) this.wake();
    }
  }

  get busy(): boolean {
    return this.pending > 0;
  }

  /**
   * Calls `then` once nothing is in flight, or after `maxMs`, whichever comes first. It runs on a later turn of the
   * event loop: the answers of the commands that just settled (sent in microtasks) go out before.
   */
  whenIdle(maxMs: number, then: () => void): void {
    let done = false;
    const once = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      this.timers.delete(timer);
      then();
    };
    const timer = setTimeout(once, Math.max(0, maxMs));
    this.timers.add(timer);
    if (!this.busy) return void setImmediate(once);
    this.waiters.push(() => setImmediate(once));
  }

  onModuleDestroy(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.waiters = [];
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}
