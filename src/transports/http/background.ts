/**
 * Work a route started after its answer (a webhook's 202 comes before the workflow runs). Shutting down waits for
 * it, within a bound: a SIGTERM during a merge's DNS update should finish the update, not cut it in half.
 */
export class BackgroundWork {
  private readonly running = new Set<Promise<unknown>>();

  /** Runs `work` and remembers it until it settles; its result and rejection are the caller's, unchanged. */
  track<T>(work: Promise<T>): Promise<T> {
    this.running.add(work);
    const forget = () => this.running.delete(work);
    work.then(forget, forget);
    return work;
  }

  get size(): number {
    return this.running.size;
  }

  /** Resolves when everything running now has settled, or after `boundMs`; true when nothing was left running. */
  async drain(boundMs: number): Promise<boolean> {
    if (this.running.size === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), boundMs);
    });
    const settled = Promise.allSettled([...this.running]).then(() => true);
    try {
      return await Promise.race([settled, bound]);
    } finally {
      clearTimeout(timer);
    }
  }
}
