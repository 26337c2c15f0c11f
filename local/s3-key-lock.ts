/**
 * A mutex per key: callers of `acquire(key)` run one at a time, in arrival order.
 * Entries are dropped when the last holder releases, so memory follows the keys in use.
 */
export class KeyedLock {
  private readonly tails = new Map<string, Promise<void>>();

  async acquire(key: string): Promise<() => void> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let releaseThis!: () => void;
    const current = new Promise<void>((resolve) => {
      releaseThis = resolve;
    });
    const tail = previous.then(() => current);
    this.tails.set(key, tail);
    await previous;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      releaseThis();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    };
  }

  /** Keys with a holder or waiters (for tests and diagnostics). */
  get size(): number {
    return this.tails.size;
  }
}
