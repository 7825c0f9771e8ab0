import { randomUUID } from 'node:crypto';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import { BoundedSet } from './core/bounded-set.js';
import {
  classifyFluxEvent,
  fluxEventRevision,
  fluxObjectId,
  parseFluxEvent,
  type FluxEvent,
} from './core/flux-event.js';
import { parsePrMetadata, type PrMetadata } from './core/pr-metadata.js';
import type { PullRequestEvent, PullRequestEventHandler } from './core/pull-request-event.js';
import type { Logger } from './log.js';
import { verifyHmacSignature } from './core/webhook-signature.js';
import type { Metrics } from './metrics.js';

export interface GitHubWebhookOptions {
  /** GITHUB_WEBHOOK_SECRET: the HMAC key GitHub signs deliveries with. */
  secret: string;
  onPullRequestEvent: PullRequestEventHandler;
  /** Delivery ids remembered for de-duplication. */
  deliveryCacheSize?: number;
}

export interface FluxWebhookOptions {
  /** FLUX_WEBHOOK_TOKEN: the `token` of the generic-hmac Provider's Secret, byte for byte (never trimmed). */
  token: string;
  /** Called after the 202 with the event and the request's logger. */
  onFluxEvent: (event: FluxEvent, log: Logger) => Promise<void>;
}

export interface ServerOptions {
  logger: Logger;
  /** Serves `GET /metrics` and counts every request by route pattern. */
  metrics?: Metrics;
  /** `/readyz` answers 200 only while this resolves true (e.g. GitHub and Slack reachable). */
  readiness?: () => Promise<boolean>;
  github?: GitHubWebhookOptions;
  flux?: FluxWebhookOptions;
}

/** GitHub allows webhook payloads up to 25 MB. */
const WEBHOOK_BODY_LIMIT = 25 * 1024 * 1024;
/** notification-controller's own event body limit; a Flux event is never larger. */
const FLUX_BODY_LIMIT = 3 * 1024 * 1024;

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** `X-Hub-Signature-256` is `sha256=<hex HMAC of the exact raw body>`. */
export function verifyGitHubSignature(
  secret: string,
  rawBody: Buffer,
  signature: string | undefined,
): boolean {
  return verifyHmacSignature(secret, rawBody, signature, ['sha256']);
}

/**
 * `X-Signature` is `<algo>=<hex HMAC of the exact raw body>` keyed with the raw bytes of the Provider's token;
 * notification-controller sends sha256, Flux's documented verifier also accepts sha224, sha384 and sha512.
 */
export function verifyFluxSignature(token: string, rawBody: Buffer, signature: string | undefined): boolean {
  return verifyHmacSignature(token, rawBody, signature, ['sha224', 'sha256', 'sha384', 'sha512']);
}

interface PullRequestPayload {
  action?: string;
  pull_request?: {
    number: number;
    body: string | null;
    merged?: boolean;
    merge_commit_sha?: string | null;
    head: { sha: string };
  };
  review?: { state?: string; user?: { login?: string } | null };
  sender?: { login?: string };
}

/** The event a delivery means for tunnelbot, or a reason to ignore it. */
function toPullRequestEvent(
  name: string,
  payload: PullRequestPayload,
  log: FastifyBaseLogger,
): PullRequestEvent | { ignored: string } {
  const pull = payload.pull_request;
  let kind: PullRequestEvent['kind'] | undefined;
  if (name === 'pull_request' && payload.action === 'closed') kind = pull?.merged ? 'merged' : 'closed';
  if (name === 'pull_request_review' && payload.action === 'submitted') kind = 'review';
  if (!kind || !pull) return { ignored: `${name}.${payload.action ?? ''} is not an event tunnelbot acts on` };
  let metadata: PrMetadata | undefined;
  try {
    metadata = parsePrMetadata(pull.body);
  } catch (error) {
    log.warn(
      { pr: pull.number, err: error },
      'pull request has an invalid tunnelbot block; ignoring the event',
    );
    return { ignored: 'invalid tunnelbot block' };
  }
  if (!metadata) return { ignored: 'not a tunnelbot pull request' };
  const event: PullRequestEvent = {
    kind,
    source: 'webhook',
    prNumber: pull.number,
    metadata,
    headSha: pull.head.sha,
  };
  if (kind === 'merged' && pull.merge_commit_sha) event.mergeSha = pull.merge_commit_sha;
  if (kind === 'review') {
    event.review = {
      state: payload.review?.state ?? 'unknown',
      reviewer: payload.review?.user?.login ?? 'unknown',
    };
  }
  if (payload.sender?.login) event.actor = payload.sender.login;
  return event;
}

function registerGitHubWebhook(app: FastifyInstance, options: GitHubWebhookOptions): void {
  const seen = new BoundedSet(options.deliveryCacheSize ?? 1000);
  // Encapsulated so only this route keeps the raw bytes: the signature covers them exactly, not a re-serialisation.
  void app.register(async (scope) => {
    scope.addContentTypeParser(
      'application/json',
      { parseAs: 'buffer', bodyLimit: WEBHOOK_BODY_LIMIT },
      (_req, body, done) => done(null, body),
    );
    scope.post(
      '/webhooks/github',
      { bodyLimit: WEBHOOK_BODY_LIMIT },
      async (request: FastifyRequest, reply: FastifyReply) => {
        const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
        const delivery = header(request, 'x-github-delivery');
        const name = header(request, 'x-github-event') ?? '';
        const log = request.log.child({ delivery, githubEvent: name });
        if (!verifyGitHubSignature(options.secret, raw, header(request, 'x-hub-signature-256'))) {
          log.warn('GitHub webhook with a missing or bad signature');
          return reply.code(401).send({ error: 'bad or missing X-Hub-Signature-256' });
        }
        if (delivery && !seen.add(delivery)) {
          log.info('duplicate GitHub delivery ignored');
          return reply.code(200).send({ status: 'duplicate' });
        }
        if (name === 'ping') return reply.code(200).send({ status: 'pong' });
        let payload: PullRequestPayload;
        try {
          payload = JSON.parse(raw.toString('utf8')) as PullRequestPayload;
        } catch {
          return reply.code(400).send({ error: 'body is not JSON' });
        }
        const event = toPullRequestEvent(name, payload, log);
        if ('ignored' in event) {
          log.debug({ reason: event.ignored }, 'GitHub delivery ignored');
          return reply.code(202).send({ status: 'ignored', reason: event.ignored });
        }
        // GitHub gives up after 10 s and never redelivers on its own: acknowledge now, work afterwards.
        log.info({ pr: event.prNumber, kind: event.kind }, 'GitHub pull request event accepted');
        options.onPullRequestEvent(event).catch((error: unknown) => {
          log.error(
            { err: error, pr: event.prNumber, kind: event.kind },
            'handling a GitHub pull request event failed',
          );
        });
        return reply.code(202).send({ status: 'accepted' });
      },
    );
  });
}

function registerFluxWebhook(app: FastifyInstance, options: FluxWebhookOptions, logger: Logger): void {
  // Encapsulated like the GitHub route: the signature covers the raw bytes, which Go's JSON escaping makes
  // different from any re-serialisation.
  void app.register(async (scope) => {
    scope.addContentTypeParser(
      'application/json',
      { parseAs: 'buffer', bodyLimit: FLUX_BODY_LIMIT },
      (_req, body, done) => done(null, body),
    );
    scope.post(
      '/webhooks/flux',
      { bodyLimit: FLUX_BODY_LIMIT },
      async (request: FastifyRequest, reply: FastifyReply) => {
        const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
        const log = logger.child({
          reqId: request.id,
          webhook: 'flux',
          gotkComponent: header(request, 'gotk-component'),
        });
        if (!verifyFluxSignature(options.token, raw, header(request, 'x-signature'))) {
          log.warn('Flux event with a missing or bad X-Signature');
          return reply.code(401).send({ error: 'bad or missing X-Signature' });
        }
        let event: FluxEvent;
        try {
          event = parseFluxEvent(raw.toString('utf8'));
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          log.warn({ err: error }, 'Flux event rejected');
          return reply.code(400).send({ error: message });
        }
        const revision = fluxEventRevision(event);
        log.info(
          {
            object: fluxObjectId(event),
            reason: event.reason,
            severity: event.severity,
            class: classifyFluxEvent(event),
            revision: revision?.revision,
          },
          'Flux event accepted',
        );
        // notification-controller waits at most spec.timeout (15 s) including retries: acknowledge, then work.
        options.onFluxEvent(event, log).catch((error: unknown) => {
          log.error({ err: error, reason: event.reason }, 'handling a Flux event failed');
        });
        return reply.code(202).send({ status: 'accepted' });
      },
    );
  });
}

/** The HTTP server: health, readiness and webhooks. Other routes (Slack) plug into the same instance. */
export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: options.logger as FastifyBaseLogger,
    genReqId: () => randomUUID(),
    requestIdHeader: 'x-request-id',
  });
  app.get('/healthz', async () => ({ status: 'ok' }));
  const { metrics } = options;
  if (metrics) {
    app.addHook('onResponse', async (request, reply) => {
      metrics.httpRequests.inc({
        route: request.routeOptions.url ?? 'unmatched',
        method: request.method,
        status: String(reply.statusCode),
      });
    });
    app.get('/metrics', async (_request, reply) =>
      reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
    );
  }
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
  if (options.github) registerGitHubWebhook(app, options.github);
  if (options.flux) registerFluxWebhook(app, options.flux, options.logger);
  await app.ready();
  return app;
}
