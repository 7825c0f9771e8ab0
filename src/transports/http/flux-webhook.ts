import type { FastifyPluginAsync } from 'fastify';
import {
  classifyFluxEvent,
  fluxEventRevision,
  fluxObjectId,
  parseFluxEvent,
  type FluxEvent,
} from '../../core/flux-event.js';
import { isFluxSignatureHeader, verifyFluxSignature } from '../../core/webhook-signature.js';
import type { Logger } from '../../log.js';
import { header, keepRawJson, rawBody } from './raw-body.js';
import { addLogFields } from './server.js';
import { signedRequestGuard } from './signed-route.js';

export interface FluxWebhookOptions {
  /** FLUX_WEBHOOK_TOKEN: the `token` of the generic-hmac Provider's Secret, byte for byte (never trimmed). */
  token: string;
  /** Called after the 202 with the event and the request's logger. */
  onFluxEvent: (event: FluxEvent, log: Logger) => Promise<void>;
}

/** notification-controller's own event body limit; a Flux event is never larger. */
const FLUX_BODY_LIMIT = 3 * 1024 * 1024;

const guard = signedRequestGuard({
  sender: 'Flux event',
  headers: [{ name: 'x-signature', wellFormed: isFluxSignatureHeader }],
  contentTypes: ['application/json'],
});

/**
 * `POST /webhooks/flux`. Encapsulated like the GitHub route: the signature covers the raw bytes, which Go's JSON
 * escaping makes different from any re-serialisation.
 */
export const fluxWebhook: FastifyPluginAsync<FluxWebhookOptions> = async (app, options) => {
  keepRawJson(app, FLUX_BODY_LIMIT);
  app.post('/webhooks/flux', { bodyLimit: FLUX_BODY_LIMIT, onRequest: guard }, async (request, reply) => {
    const raw = rawBody(request);
    const gotkComponent = header(request, 'gotk-component');
    addLogFields(request, { gotkComponent });
    const log = request.log;
    if (!verifyFluxSignature(options.token, raw, header(request, 'x-signature'))) {
      log.warn('Flux event with a missing or bad X-Signature');
      return reply.code(401).send({ error: 'bad or missing X-Signature' });
    }
    let event: FluxEvent;
    try {
      event = parseFluxEvent(raw.toString('utf8'));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      log.warn({ problem: message }, 'Flux event rejected');
      return reply.code(400).send({ error: message });
    }
    const revision = fluxEventRevision(event);
    addLogFields(request, {
      object: fluxObjectId(event),
      reason: event.reason,
      severity: event.severity,
      class: classifyFluxEvent(event),
      revision: revision?.revision,
    });
    // notification-controller waits at most spec.timeout (15 s) including retries: acknowledge, then work.
    // The request's logger already carries its id, which ties the work's lines to the request's completion line;
    // createHttpServer's loggerInstance is pino, so it is one too.
    const work = log as Logger;
    options.onFluxEvent(event, work).catch((error: unknown) => {
      work.error({ err: error, reason: event.reason }, 'handling a Flux event failed');
    });
    return reply.code(202).send({ status: 'accepted' });
  });
};
