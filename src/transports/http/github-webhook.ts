import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { parseGitHubDelivery, toPullRequestEvent } from '../../adapters/github/webhook-payload.js';
import { BoundedSet } from '../../core/bounded-set.js';
import type { PullRequestEventHandler } from '../../core/pull-request-event.js';
import { isGitHubSignatureHeader, verifyGitHubSignature } from '../../core/webhook-signature.js';
import { TunnelbotError } from '../../errors.js';
import { header, keepRawJson, rawBody } from './raw-body.js';
import { addLogFields } from './server.js';
import { signedRequestGuard } from './signed-route.js';

export interface GitHubWebhookOptions {
  /** GITHUB_WEBHOOK_SECRET: the HMAC key GitHub signs deliveries with. */
  secret: string;
  onPullRequestEvent: PullRequestEventHandler;
  /** Delivery ids remembered for de-duplication. */
  deliveryCacheSize?: number;
}

/**
 * GitHub caps payloads at 25 MB, but the deliveries tunnelbot reads are far smaller: a pull request or review body
 * is at most 65,536 characters (six bytes each when JSON-escaped), the rest of the payload a few tens of KiB.
 */
const WEBHOOK_BODY_LIMIT = 2 * 1024 * 1024;

const guard = signedRequestGuard({
  sender: 'GitHub webhook',
  headers: [{ name: 'x-hub-signature-256', wellFormed: isGitHubSignatureHeader }],
  contentTypes: ['application/json'],
  wrongContentType: (type) =>
    type === 'application/x-www-form-urlencoded'
      ? 'this webhook posts form-encoded bodies; set "Content type: application/json" in the webhook settings on GitHub'
      : `GitHub webhook bodies are application/json, not ${type || 'untyped'}`,
});

/**
 * `POST /webhooks/github`. Encapsulated (registered without fastify-plugin) so only this route keeps the raw bytes:
 * the signature covers them exactly, not a re-serialisation.
 */
export const githubWebhook: FastifyPluginAsync<GitHubWebhookOptions> = async (app, options) => {
  const seen = new BoundedSet(options.deliveryCacheSize ?? 1000);
  keepRawJson(app, WEBHOOK_BODY_LIMIT);
  const route = { bodyLimit: WEBHOOK_BODY_LIMIT, onRequest: guard };
  app.post('/webhooks/github', route, async (request: FastifyRequest, reply) => {
    const raw = rawBody(request);
    const delivery = header(request, 'x-github-delivery');
    const name = header(request, 'x-github-event') ?? '';
    addLogFields(request, { delivery, githubEvent: name });
    const log = request.log;
    if (!verifyGitHubSignature(options.secret, raw, header(request, 'x-hub-signature-256'))) {
      log.warn('GitHub webhook with a missing or bad signature');
      return reply.code(401).send({ error: 'bad or missing X-Hub-Signature-256' });
    }
    if (delivery && !seen.add(delivery)) {
      addLogFields(request, { duplicate: true });
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
      addLogFields(request, { ignored: event.ignored });
      return reply.code(202).send({ status: 'ignored', reason: event.ignored });
    }
    // GitHub gives up after 10 s and never redelivers on its own: acknowledge now, work afterwards.
    addLogFields(request, { pr: event.prNumber, kind: event.kind });
    const accepted = event;
    options.onPullRequestEvent(accepted).catch((error: unknown) => {
      log.error(
        { err: error, delivery, pr: accepted.prNumber, kind: accepted.kind },
        'handling a GitHub pull request event failed',
      );
    });
    return reply.code(202).send({ status: 'accepted' });
  });
};
