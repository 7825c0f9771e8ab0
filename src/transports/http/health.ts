import type { FastifyPluginAsync } from 'fastify';
import type { Readiness } from './readiness.js';

export interface HealthRoutesOptions {
  /** The last known state of each dependency; `/readyz` reads it, it never calls a dependency itself. */
  readiness: Readiness;
}

/** `GET /healthz` (the process answers) and `GET /readyz` (its dependencies did, at their last check). */
export const healthRoutes: FastifyPluginAsync<HealthRoutesOptions> = async (app, { readiness }) => {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const report = readiness.report();
    return reply.code(report.status === 'ready' ? 200 : 503).send(report);
  });
};
