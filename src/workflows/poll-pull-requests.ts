import type { GitProvider, PullRequestInfo } from '../core/git-provider.js';
import type { PullRequestEvent, PullRequestEventHandler } from '../core/pull-request-event.js';
import type { Logger } from '../log.js';

export interface Scheduler {
  /** Runs `callback` once after `ms`; the returned function cancels it. */
  after(ms: number, callback: () => void): () => void;
}

export const realScheduler: Scheduler = {
  after(ms, callback) {
    const timer = setTimeout(callback, ms);
    timer.unref();
    return () => clearTimeout(timer);
  },
};

export interface PullRequestPollerOptions {
  provider: Pick<GitProvider, 'listOpenTunnelbotPrs' | 'getPr'>;
  onPullRequestEvent: PullRequestEventHandler;
  logger: Logger;
  /** Two minutes by default: a few dozen requests an hour, far below any GitHub limit. */
  intervalMs?: number;
  scheduler?: Scheduler;
}

/**
 * Webhooks are optional and GitHub never redelivers a failed one, so the open tunnelbot PRs are also polled: a PR
 * that left the open list since the previous poll is read once and reported as merged or closed through the same
 * handler the webhook route uses.
 */
export class PullRequestPoller {
  private readonly known = new Map<number, PullRequestInfo>();
  private cancel: (() => void) | undefined;
  private running = false;
  private readonly logger: Logger;

  constructor(private readonly options: PullRequestPollerOptions) {
    this.logger = options.logger.child({ component: 'pr-poller' });
  }

  /** One poll; returns the events it reported. The first poll only learns which PRs are open. */
  async pollOnce(): Promise<PullRequestEvent[]> {
    const open = await this.options.provider.listOpenTunnelbotPrs();
    const openNumbers = new Set(open.map((pr) => pr.number));
    const events: PullRequestEvent[] = [];
    const gone = [...this.known.entries()]
      .filter(([number]) => !openNumbers.has(number))
      .sort(([a], [b]) => a - b);
    for (const [number, before] of gone) {
      try {
        const now = await this.options.provider.getPr(number);
        if (now.state === 'open') continue;
        const metadata = now.metadata ?? before.metadata;
        this.known.delete(number);
        if (!metadata) continue;
        const event: PullRequestEvent = {
          kind: now.merged ? 'merged' : 'closed',
          source: 'poll',
          prNumber: number,
          metadata,
          headSha: now.headSha,
        };
        if (now.mergeSha) event.mergeSha = now.mergeSha;
        events.push(event);
        await this.options.onPullRequestEvent(event);
      } catch (error) {
        // Kept in `known`, so the next poll tries this PR again.
        this.logger.warn({ err: error, pr: number }, 'could not report a pull request state change');
      }
    }
    for (const pr of open) this.known.set(pr.number, pr);
    return events;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    const tick = () => {
      this.pollOnce()
        .catch((error: unknown) => this.logger.warn({ err: error }, 'polling pull requests failed'))
        .finally(() => {
          if (this.running) this.cancel = this.scheduler.after(this.interval, tick);
        });
    };
    tick();
  }

  stop(): void {
    this.running = false;
    this.cancel?.();
    this.cancel = undefined;
  }

  private get scheduler(): Scheduler {
    return this.options.scheduler ?? realScheduler;
  }

  private get interval(): number {
    return this.options.intervalMs ?? 120_000;
  }
}
