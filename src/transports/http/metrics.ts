import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { Metrics } from '../../metrics.js';

/**
 * Counts every response by route pattern, method and status. Added on the root instance (not in a plugin) because
 * a hook added inside an encapsulated plugin sees only that plugin's routes.
 */
export function countRequests(app: FastifyInstance, metrics: Metrics): void {
  // A callback hook, not an async one: no promise per request for a counter.
  app.addHook('onResponse', (request, reply, done) => {
    metrics.httpRequests.inc({
      route: request.routeOptions.url ?? 'unmatched',
      method: request.method,
      status: String(reply.statusCode),
    });
    done();
  });
}

export interface MetricsRouteOptions {
  metrics: Metrics;
}

/** `GET /metrics`: the Prometheus text exposition of the registry. */
export const metricsRoute: FastifyPluginAsync<MetricsRouteOptions> = async (app, { metrics }) => {
  app.get('/metrics', async (_request, reply) =>
    reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
  );
};
