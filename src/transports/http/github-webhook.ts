import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { parseGitHubDelivery, toPullRequestEvent } from '../../adapters/github/webhook-payload.js';
import { BoundedSet } from '../../core/bounded-set.js';
import type { PullRequestEventHandler } from '../../core/pull-request-event.js';
import { verifyGitHubSignature } from '../../core/webhook-signature.js';
import { TunnelbotError } from '../../errors.js';
import { header, keepRawJson, rawBody } from './raw-body.js';

export interface GitHubWebhookOptions {
  /** GITHUB_WEBHOOK_SECRET: the HMAC key GitHub signs deliveries with. */
  secret: string;
  onPullRequestEvent: PullRequestEventHandler;
  /** Delivery ids remembered for de-duplication. */
  deliveryCacheSize?: number;
}

/** GitHub allows webhook payloads up to 25 MB. */
const WEBHOOK_BODY_LIMIT = 25 * 1024 * 1024;

/**
 * `POST /webhooks/github`. Encapsulated (registered without fastify-plugin) so only this route keeps the raw bytes:
 * the signature covers them exactly, not a re-serialisation.
 */
export const githubWebhook: FastifyPluginAsync<GitHubWebhookOptions> = async (app, options) => {
  const seen = new BoundedSet(options.deliveryCacheSize ?? 1000);
  keepRawJson(app, WEBHOOK_BODY_LIMIT);
  app.post('/webhooks/github', { bodyLimit: WEBHOOK_BODY_LIMIT }, async (request: FastifyRequest, reply) => {
    const raw = rawBody(request);
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
    let event;
    try {
      event = toPullRequestEvent(parseGitHubDelivery(name, raw));
    } catch (error) {
      if (!(error instanceof TunnelbotError)) throw error;
      log.warn({ code: error.code, fields: error.details?.['fields'] }, 'GitHub delivery rejected');
      return reply.code(400).send({ error: error.message });
    }
    if ('ignored' in event) {
      if (event.invalidBlock) {
        const { pr, error } = event.invalidBlock;
        log.warn({ pr, err: error }, 'pull request has an invalid tunnelbot block; ignoring the event');
      }
      log.debug({ reason: event.ignored }, 'GitHub delivery ignored');
      return reply.code(202).send({ status: 'ignored', reason: event.ignored });
    }
    // GitHub gives up after 10 s and never redelivers on its own: acknowledge now, work afterwards.
    log.info({ pr: event.prNumber, kind: event.kind }, 'GitHub pull request event accepted');
    const accepted = event;
    options.onPullRequestEvent(accepted).catch((error: unknown) => {
      log.error(
        { err: error, pr: accepted.prNumber, kind: accepted.kind },
        'handling a GitHub pull request event failed',
      );
    });
    return reply.code(202).send({ status: 'accepted' });
  });
};
