import type { Receiver, ReceiverEvent } from '@slack/bolt';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { BoundedSet } from '../../core/bounded-set.js';
import { asTunnelbotError } from '../../errors.js';
import type { Logger } from '../../log.js';
import { header, rawBody } from '../http/raw-body.js';
import { mediaType, signedRequestGuard } from '../http/signed-route.js';
import { ReceiverMultipleAckError, verifySlackRequest, type App } from './bolt.js';

/**
 * Slack's HTTP mode as a Bolt receiver that lives inside our fastify server: `POST /slack/events` is an
 * encapsulated plugin with its own raw-body parsers (the signature covers the exact bytes), so the other routes keep
 * their own parsing. `start`/`stop` do nothing: fastify owns the port.
 *
 * Per request: refuse what is not signed before reading more than a few bytes of it (the HTTP service's signed-route
 * guard, with a lingering close so the client reads the 401); refuse a timestamp more than
 * 5 minutes off in either direction (Bolt alone accepts future ones), a bad signature and a replayed one (401);
 * answer `ssl_check` and `url_verification`; hand the rest to Bolt and answer with whatever its listener acks, or
 * 404 after 3001 ms without an ack, as Bolt's own receiver does.
 */

export const SLACK_EVENTS_PATH = '/slack/events';

/** Slack's largest payloads (a modal's state) stay far below this; Bolt's default is 4 MB. */
const BODY_LIMIT = 1024 * 1024;
/** An unsigned request may only be Slack's ssl_check, a few dozen bytes. */
const UNSIGNED_LIMIT = 1024;
const MAX_SKEW_SECONDS = 5 * 60;
const ACK_TIMEOUT_MS = 3001;
const CONTENT_TYPES = ['application/json', 'application/x-www-form-urlencoded'] as const;
const SIGNATURE = /^v0=[0-9a-f]{64}$/;
const TIMESTAMP = /^\d{1,12}$/;

export interface SlackHttpOptions {
  readonly signingSecret: string;
  readonly logger: Logger;
  readonly now?: () => number;
}

export class SlackHttpReceiver implements Receiver {
  private app: App | undefined;
  /** Signatures seen within the skew window: a captured request sent again is refused. */
  private readonly seen = new BoundedSet(10_000);

  constructor(private readonly options: SlackHttpOptions) {}

  init(app: App): void {
    this.app = app;
  }

  async start(): Promise<void> {}

  async stop(): Promise<void> {}

  /** The fastify plugin serving `POST /slack/events`; register it before `ready()`. */
  readonly routes: FastifyPluginAsync = async (server) => {
    server.removeAllContentTypeParsers();
    for (const type of CONTENT_TYPES) {
      server.addContentTypeParser(
        type,
        { parseAs: 'buffer', bodyLimit: BODY_LIMIT },
        (_request, body, done) => done(null, body),
      );
    }
    const guard = signedRequestGuard({
      sender: 'Slack request',
      headers: [
        { name: 'x-slack-signature', wellFormed: (value) => SIGNATURE.test(value) },
        { name: 'x-slack-request-timestamp', wellFormed: (value) => TIMESTAMP.test(value) },
      ],
      contentTypes: [...CONTENT_TYPES],
    });
    server.addHook('onRequest', function (request, reply, done) {
      // Slack's ssl_check may come unsigned: only a form body that small is read without a signature.
      const length = Number(header(request, 'content-length') ?? 'NaN');
      if (isForm(request) && length <= UNSIGNED_LIMIT) done();
      else guard.call(this, request, reply, done);
    });
    server.post(SLACK_EVENTS_PATH, { bodyLimit: BODY_LIMIT }, (request, reply) =>
      this.handle(request, reply),
    );
  };

  private async handle(request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
    const log = request.log as Logger;
    const raw = rawBody(request).toString('utf8');
    // A form is parsed once: for Slack's unsigned ssl_check here, for the payload after the signature.
    const fields = isForm(request) ? new URLSearchParams(raw) : undefined;
    if (fields?.get('ssl_check') === '1') return reply.code(200).send();
    const signed = signatureHeaders(request);
    if (!signed)
      return reply.code(401).send({ error: 'missing X-Slack-Signature or X-Slack-Request-Timestamp' });
    const nowMs = (this.options.now ?? Date.now)();
    if (Math.abs(nowMs / 1000 - signed.timestamp) > MAX_SKEW_SECONDS) {
      log.warn({ timestamp: signed.timestamp }, 'Slack request with a timestamp more than 5 minutes off');
      return reply.code(401).send({ error: 'X-Slack-Request-Timestamp is more than 5 minutes off' });
    }
    try {
      verifySlackRequest({
        signingSecret: this.options.signingSecret,
        body: raw,
        nowMilliseconds: nowMs,
        headers: { 'x-slack-signature': signed.signature, 'x-slack-request-timestamp': signed.timestamp },
      });
    } catch {
      log.warn('Slack request with a bad signature');
      return reply.code(401).send({ error: 'bad X-Slack-Signature' });
    }
    if (!this.seen.add(signed.signature)) {
      log.warn('Slack request replayed');
      return reply.code(401).send({ error: 'this request was already received' });
    }
    const body = parseBody(raw, fields);
    if (!body) return reply.code(400).send({ error: 'the body is not a Slack payload' });
    if (body.type === 'url_verification') return reply.send({ challenge: body.challenge });
    if (!this.app) return reply.code(503).send({ error: 'Slack is not initialised yet' });
    return this.dispatch(this.app, body, request, reply, log);
  }

  private async dispatch(
    app: App,
    body: Record<string, unknown>,
    request: FastifyRequest,
    reply: FastifyReply,
    log: Logger,
  ): Promise<unknown> {
    let acked = false;
    let settle: (outcome: { acked: boolean; body?: unknown }) => void = () => {};
    const response = new Promise<{ acked: boolean; body?: unknown }>((resolve) => {
      // Cleared once settled: a burst of commands leaves no thousands of timers to fire for nothing 3 s later.
      const timer = setTimeout(() => resolve({ acked: false }), ACK_TIMEOUT_MS).unref();
      settle = (outcome) => {
        clearTimeout(timer);
        resolve(outcome);
      };
    });
    const answer = (body: unknown) => settle({ acked: true, body });
    const unanswered = () => settle({ acked: false });
    const retryNum = Number(header(request, 'x-slack-retry-num'));
    const retryReason = header(request, 'x-slack-retry-reason');
    const event: ReceiverEvent = {
      body,
      ...(Number.isInteger(retryNum) && { retryNum }),
      ...(retryReason !== undefined && { retryReason }),
      ack: async (ackBody?: unknown) => {
        if (acked) throw new ReceiverMultipleAckError();
        acked = true;
        answer(ackBody);
      },
    };
    // processEvent resolves only once every listener is done: answer from the ack, not from it.
    // It rejects only before any listener runs (a listener's error goes to app.error), which is Bolt reading a
    // field of the body that a Slack payload of its type always has: the signed body is malformed, not our bug.
    let malformed = false;
    app
      .processEvent(event)
      // Every listener is done: one that did not ack never will (a body of a type no listener takes).
      .then(() => unanswered())
      .catch((error: unknown) => {
        malformed = true;
        log.warn(
          { err: asTunnelbotError(error), type: body.type },
          'a signed Slack body Bolt cannot read was refused',
        );
        if (!acked) answer(undefined);
      });
    const outcome = await response;
    if (!outcome.acked) return reply.code(404).send({ error: 'no listener acknowledged the request' });
    if (malformed && !acked) {
      return reply
        .code(400)
        .send({ error: 'the body is not a Slack payload of its type (a field is missing or mistyped)' });
    }
    if (outcome.body === undefined || outcome.body === '') return reply.code(200).send();
    if (typeof outcome.body === 'string') return reply.type('text/plain; charset=utf-8').send(outcome.body);
    return reply.send(outcome.body);
  }
}

function isForm(request: FastifyRequest): boolean {
  return mediaType(header(request, 'content-type')) === 'application/x-www-form-urlencoded';
}

function signatureHeaders(request: FastifyRequest): { signature: string; timestamp: number } | undefined {
  const signature = header(request, 'x-slack-signature');
  const timestamp = header(request, 'x-slack-request-timestamp');
  if (signature === undefined || timestamp === undefined) return undefined;
  if (!SIGNATURE.test(signature) || !TIMESTAMP.test(timestamp)) return undefined;
  return { signature, timestamp: Number(timestamp) };
}

/** After verification: interactivity comes as a form field `payload` holding JSON, commands as form fields. */
function parseBody(raw: string, fields: URLSearchParams | undefined): Record<string, unknown> | undefined {
  try {
    if (fields) {
      const payload = fields.get('payload');
      if (payload !== null) return asRecord(JSON.parse(payload));
      return Object.fromEntries(fields);
    }
    return asRecord(JSON.parse(raw));
  } catch {
    return undefined;
  }
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}
