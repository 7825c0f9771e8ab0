import type { FastifyPluginAsync } from 'fastify';

export interface HealthRoutesOptions {
  /** `/readyz` answers 200 only while this resolves true (e.g. GitHub reachable); always ready without it. */
  readiness?: () => Promise<boolean>;
}

/** `GET /healthz` (the process answers) and `GET /readyz` (its dependencies do). */
export const healthRoutes: FastifyPluginAsync<HealthRoutesOptions> = async (app, options) => {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (request, reply) => {
    let ready = true;
    if (options.readiness) {
      try {
        ready = await options.readiness();
      } catch (error) {
        request.log.warn({ err: error }, 'readiness check failed');
        ready = false;
      }
    }
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready' });
  });
};
