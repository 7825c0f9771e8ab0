import { asTunnelbotError } from '../../errors.js';
import type { Logger } from '../../log.js';

/**
 * What `GET /readyz` reports: the last known state of each named dependency, never a live call. A probe answers from
 * memory within milliseconds, so a slow or hung GitHub cannot make the probe itself time out (which would take the
 * pod out of the Service Flux posts to), and probes cost no upstream requests.
 *
 * A dependency is either checked here in the background (GitHub: read the default branch) or reported by its owner
 * (the Slack transport says when Socket Mode is connected or not). Every dependency starts as "starting", which is
 * not ready.
 */

export type DependencyState = { ok: true } | { ok: false; reason: string };

export interface BackgroundCheck {
  /** Resolves when the dependency answers, rejects when it does not; `signal` aborts at the timeout. */
  run(signal: AbortSignal): Promise<unknown>;
  intervalMs?: number;
  timeoutMs?: number;
}

export interface ReadinessReport {
  status: 'ready' | 'starting' | 'not ready';
  /** Per dependency: `ok`, `starting`, or why it is not ready. */
  checks: Record<string, string>;
  /** The dependencies that are not ready, as `name: reason`; absent when ready. */
  reason?: string;
}

/** A background check runs this often: a probe every 30 s reads memory, GitHub sees 120 requests an hour at most. */
export const READINESS_CHECK_INTERVAL_MS = 30_000;
/** A check that has not answered by then marks its dependency "timed out" (well under a probe's timeout budget). */
export const READINESS_CHECK_TIMEOUT_MS = 5_000;
/** A failure reason is one line this long at most: it is shown to whoever can reach /readyz. */
const REASON_LIMIT = 200;

const STARTING = 'starting';

interface Watched {
  check: BackgroundCheck;
  timer?: NodeJS.Timeout;
  /** A check is in flight; a hung one is never run twice at once, so a hang costs one request, not one per round. */
  inFlight?: boolean;
  controller?: AbortController;
}

function shortReason(text: string): string {
  const line = text.split('\n', 1)[0]!.trim();
  return line.length > REASON_LIMIT ? `${line.slice(0, REASON_LIMIT - 1)}…` : line;
}

export class Readiness {
  private readonly states = new Map<string, DependencyState | typeof STARTING>();
  private readonly watched = new Map<string, Watched>();
  private started = false;

  constructor(private readonly logger: Logger) {}

  /** Declares a dependency its owner reports on with `set`; it is "starting" (not ready) until then. */
  expect(name: string): void {
    if (!this.states.has(name)) this.states.set(name, STARTING);
  }

  /** The owner's report; logged once per change (not ready at warn, recovered at info), never per probe. */
  set(name: string, state: DependencyState): void {
    const stored: DependencyState = state.ok
      ? { ok: true }
      : { ok: false, reason: shortReason(state.reason) };
    const previous = this.states.get(name);
    this.states.set(name, stored);
    const was =
      previous === undefined || previous === STARTING ? STARTING : previous.ok ? 'ok' : previous.reason;
    const now = stored.ok ? 'ok' : stored.reason;
    if (was === now) return;
    if (stored.ok) this.logger.info({ dependency: name, was }, 'dependency ready');
    else this.logger.warn({ dependency: name, reason: stored.reason }, 'dependency not ready');
  }

  /** Declares a dependency checked in the background once `start` is called. */
  watch(name: string, check: BackgroundCheck): void {
    this.expect(name);
    this.watched.set(name, { check });
  }

  /** Runs every background check now, then each at its interval. */
  start(): void {
    if (this.started) return;
    this.started = true;
    for (const [name, watched] of this.watched) {
      void this.runCheck(name, watched);
      watched.timer = setInterval(
        () => void this.runCheck(name, watched),
        watched.check.intervalMs ?? READINESS_CHECK_INTERVAL_MS,
      );
      watched.timer.unref();
    }
  }

  stop(): void {
    this.started = false;
    for (const watched of this.watched.values()) {
      clearInterval(watched.timer);
      watched.controller?.abort();
    }
  }

  /**
   * One round of the background check `name` (or every one): resolves once its state is known, at the latest after
   * its timeout. A round while the previous one still hangs starts nothing and leaves the state as it is.
   */
  async checkNow(name?: string): Promise<void> {
    const rounds = [...this.watched]
      .filter(([watchedName]) => name === undefined || watchedName === name)
      .map(([watchedName, watched]) => this.runCheck(watchedName, watched));
    await Promise.all(rounds);
  }

  private async runCheck(name: string, watched: Watched): Promise<void> {
    if (watched.inFlight) return;
    watched.inFlight = true;
    const controller = new AbortController();
    watched.controller = controller;
    const timeoutMs = watched.check.timeoutMs ?? READINESS_CHECK_TIMEOUT_MS;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<DependencyState>((resolve) => {
      timer = setTimeout(() => {
        controller.abort();
        resolve({ ok: false, reason: `timed out after ${timeoutMs} ms` });
      }, timeoutMs);
      // A check still hanging at shutdown must not keep the process alive.
      timer.unref();
    });
    const answered = watched.check.run(controller.signal).then(
      (): DependencyState => ({ ok: true }),
      (error: unknown): DependencyState => ({ ok: false, reason: asTunnelbotError(error).message }),
    );
    void answered.then(() => {
      clearTimeout(timer);
      watched.inFlight = false;
    });
    const state = await Promise.race([answered, timedOut]);
    clearTimeout(timer);
    this.set(name, state);
  }

  report(): ReadinessReport {
    const checks: Record<string, string> = {};
    const failing: string[] = [];
    let failed = false;
    for (const [name, state] of this.states) {
      checks[name] = state === STARTING ? STARTING : state.ok ? 'ok' : state.reason;
      if (state === STARTING || !state.ok) failing.push(`${name}: ${checks[name]}`);
      if (state !== STARTING && !state.ok) failed = true;
    }
    if (failing.length === 0) return { status: 'ready', checks };
    return { status: failed ? 'not ready' : STARTING, checks, reason: failing.join('; ') };
  }
}
