import { collectDefaultMetrics, Counter, Registry } from 'prom-client';
import { asTunnelbotError } from './errors.js';

/**
 * Prometheus metrics for `GET /metrics`. Labels are route patterns, outcome kinds and error codes only: never a
 * raw URL (unbounded), never a hostname, user or token.
 */
export class Metrics {
  readonly registry = new Registry();

  readonly httpRequests = new Counter({
    name: 'tunnelbot_http_requests_total',
    help: 'HTTP requests served, by route pattern, method and status code.',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [this.registry],
  });

  readonly pullRequestEvents = new Counter({
    name: 'tunnelbot_pull_request_events_total',
    help: 'Pull request events handled, by where they were seen and what they led to.',
    labelNames: ['source', 'kind', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly fluxEvents = new Counter({
    name: 'tunnelbot_flux_events_total',
    help: 'Flux notification events handled, by outcome.',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly housekeepingRuns = new Counter({
    name: 'tunnelbot_housekeeping_runs_total',
    help: 'Periodic DNS reconciliation and orphan collection runs, by result.',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  readonly failures = new Counter({
    name: 'tunnelbot_failures_total',
    help: 'Failed background work, by error code and kind (upstream = Cloudflare/GitHub outage, internal = bug).',
    labelNames: ['work', 'code', 'kind'] as const,
    registers: [this.registry],
  });

  constructor(options: { processMetrics?: boolean } = {}) {
    if (options.processMetrics ?? true)
      collectDefaultMetrics({ register: this.registry, prefix: 'tunnelbot_' });
  }

  recordFailure(work: string, error: unknown): void {
    const failure = asTunnelbotError(error);
    this.failures.inc({ work, code: failure.code, kind: failure.kind });
  }
}
