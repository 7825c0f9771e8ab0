import { randomUUID } from 'node:crypto';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import type { Logger } from '../../log.js';
import type { Metrics } from '../../metrics.js';
import { countRequests } from './metrics.js';

/**
 * How long a client may take, in milliseconds. The defaults are far above what GitHub (10 s), Flux (15 s) and Slack
 * (3 s) allow themselves, and far below what keeps a stalled client's socket and buffers alive for minutes.
 */
export interface HttpTimeouts {
  /** From the connection (or the previous request) to the end of the headers. */
  headersMs: number;
  /** From the connection to the end of the body. */
  requestMs: number;
  /** An idle keep-alive connection is closed after this; below a load balancer's idle timeout is its business. */
  keepAliveMs: number;
  /** A socket with no traffic at all for this long is destroyed, whatever the request is doing. */
  connectionMs: number;
  /** How often Node looks for requests past `headersMs` or `requestMs`: the precision of both. */
  checkIntervalMs: number;
}

export const DEFAULT_HTTP_TIMEOUTS: Readonly<HttpTimeouts> = Object.freeze({
  headersMs: 10_000,
  requestMs: 30_000,
  keepAliveMs: 5_000,
  connectionMs: 60_000,
  checkIntervalMs: 1_000,
});

/** Routes a probe or a scraper calls every few seconds; their completion line is debug, not info. */
const QUIET_ROUTES: ReadonlySet<string> = new Set(['/healthz', '/readyz', '/metrics']);

declare module 'fastify' {
  interface FastifyRequest {
    /** Fields a route adds to the one completion line of its request (a webhook's delivery id, PR number). */
    logFields: Record<string, unknown> | null;
  }
}

export interface HttpServerOptions {
  logger: Logger;
  /** Counts every request by route pattern; `GET /metrics` itself is the `metricsRoute` plugin. */
  metrics?: Metrics;
  timeouts?: Partial<HttpTimeouts>;
}

/**
 * Adds `fields` to the completion line of `request` (the one info line it gets). The first object given becomes
 * the request's, filled in place by later calls: pass a fresh literal; one call with every field costs least.
 */
export function addLogFields(request: FastifyRequest, fields: Record<string, unknown>): void {
  if (request.logFields) Object.assign(request.logFields, fields);
  else request.logFields = fields;
}

/**
 * One line per request, when it completes, with the fields its route added: fastify's own "incoming request" line
 * doubled the logging cost of a webhook for nothing a completion line cannot say.
 */
class OneLinePerRequest extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    const route = request.routeOptions.url ?? 'unmatched';
    // The route's fields object is the line, completed in place: spread into a new literal, it made V8 build a slow
    // object that cost a webhook about 4 µs more to make and log than the rest of its line.
    const line: Record<string, unknown> = request.logFields ?? {};
    line['method'] = request.method;
    line['route'] = route;
    line['status'] = reply.statusCode;
    line['ms'] = Math.round(reply.elapsedTime * 10) / 10;
    if (error) {
      line['err'] = error;
      reply.log.error(line, 'request errored');
    } else if (QUIET_ROUTES.has(route) && reply.statusCode < 400) reply.log.debug(line, 'request completed');
    else reply.log.info(line, 'request completed');
  }
}

/**
 * Fastify builds a JSON-schema validator (ajv, some 200 modules) and serializer at start-up unless told otherwise.
 * tunnelbot's routes declare no fastify schema (bodies are checked with zod in the adapters), so the builders are
 * ones that say so if a route ever declares one; fastify calls them only for a route with a schema.
 */
function noFastifySchemas(): never {
  throw new Error(
    'tunnelbot routes declare no fastify schema: validate the input with zod in the route or its adapter',
  );
}

/**
 * The one fastify instance every HTTP route family plugs into (health, metrics, webhooks, Slack). It is returned
 * not ready: the composition root registers the plugins it needs, then calls `ready()` or `listen()`.
 */
export function createHttpServer(options: HttpServerOptions): FastifyInstance {
  const timeouts = { ...DEFAULT_HTTP_TIMEOUTS, ...options.timeouts };
  const app = Fastify({
    loggerInstance: options.logger as FastifyBaseLogger,
    genReqId: () => randomUUID(),
    requestIdHeader: 'x-request-id',
    logController: new OneLinePerRequest(),
    schemaController: {
      compilersFactory: { buildValidator: noFastifySchemas, buildSerializer: noFastifySchemas },
    },
    requestTimeout: timeouts.requestMs,
    keepAliveTimeout: timeouts.keepAliveMs,
    connectionTimeout: timeouts.connectionMs,
    // Passed to http.createServer: both exist only as constructor options there.
    http: { headersTimeout: timeouts.headersMs, connectionsCheckingInterval: timeouts.checkIntervalMs },
  });
  app.decorateRequest('logFields', null);
  if (options.metrics) countRequests(app, options.metrics);
  return app;
}

/**
 * Stops `app` listening, lets the requests in flight finish for up to `boundMs`, then closes every connection left
 * (a client stalled in its headers or body keeps its socket open otherwise, and `close` would wait for it).
 * Idle keep-alive connections are closed at once by fastify.
 */
export async function closeHttpServer(app: FastifyInstance, boundMs: number): Promise<void> {
  const force = setTimeout(() => app.server.closeAllConnections(), boundMs);
  try {
    await app.close();
  } finally {
    clearTimeout(force);
  }
}
