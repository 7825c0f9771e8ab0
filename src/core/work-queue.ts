/**
 * At most `concurrency` tasks run at once; the others wait their turn in arrival order. Pure scheduling, no I/O.
 */
export class WorkQueue {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly concurrency: number) {
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new RangeError(`a work queue needs a concurrency of at least 1, not ${concurrency}`);
    }
  }

  /** Tasks started and not yet settled, and tasks waiting for a turn. */
  get size(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting.length };
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.concurrency) {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running += 1;
    }
    try {
      return await task();
    } finally {
      // The turn passes straight to the next task, so `running` never dips and lets a newcomer jump the line.
      const next = this.waiting.shift();
      if (next) next();
      else this.running -= 1;
    }
  }
}
