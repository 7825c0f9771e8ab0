import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from '../../log.js';
import type { Metrics } from '../../metrics.js';
import { countRequests } from './metrics.js';

export interface HttpServerOptions {
  logger: Logger;
  /** Counts every request by route pattern; `GET /metrics` itself is the `metricsRoute` plugin. */
  metrics?: Metrics;
}

/**
 * The one fastify instance every HTTP route family plugs into (health, metrics, webhooks, Slack). It is returned
 * not ready: the composition root registers the plugins it needs, then calls `ready()` or `listen()`.
 */
export function createHttpServer(options: HttpServerOptions): FastifyInstance {
  const app = Fastify({
    loggerInstance: options.logger as FastifyBaseLogger,
    genReqId: () => randomUUID(),
    requestIdHeader: 'x-request-id',
  });
  if (options.metrics) countRequests(app, options.metrics);
  return app;
}
