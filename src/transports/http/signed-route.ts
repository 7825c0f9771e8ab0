import type { Socket } from 'node:net';
import type { FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import { header } from './raw-body.js';

/**
 * What a signed route (GitHub, Flux, Slack's `/slack/events`) asks of a request before its body is read. A sender
 * that signs always sends its signature headers and its one content type, so a request without them is refused from
 * its headers alone: an unsigned 20 MiB post costs a few hundred bytes of reading, not 20 MiB of memory.
 */
export interface SignedRouteSpec {
  /** Who signs, for the messages: "GitHub webhook". */
  sender: string;
  /** Headers the signature needs, each with the check that it is well formed (not that it verifies). */
  headers: readonly { name: string; wellFormed: (value: string) => boolean }[];
  /** Media types (without parameters, lower case) the sender posts. */
  contentTypes: readonly string[];
  /** The answer to another media type, when the sender can be configured to post it (GitHub's form encoding). */
  wrongContentType?: (mediaType: string) => string;
}

/** The media type of a Content-Type header: lower case, parameters (`; charset=utf-8`) dropped. */
export function mediaType(value: string | undefined): string {
  return (value ?? '').split(';', 1)[0]!.trim().toLowerCase();
}

/** How long a refused client may go on sending before its connection is destroyed. */
const LINGER_MS = 2_000;

/**
 * Closes the connection after the answer without losing the answer. Node destroys a `Connection: close` socket as
 * soon as the answer is written; with the unread body still arriving, the kernel then sends a reset, which makes
 * the client drop the answer it had not read yet. Half-closing and discarding what is still in flight for a
 * moment (lingering close, as other HTTP servers do) lets the answer arrive; nothing of it is kept.
 */
function lingerOnClose(socket: Socket): void {
  socket.destroySoon = () => {
    socket.end();
    const timer = setTimeout(() => socket.destroy(), LINGER_MS);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
  };
}

function refuse(request: FastifyRequest, reply: FastifyReply, status: number, error: string): void {
  // The unread body stays on the socket: closing it is the only way not to read it.
  lingerOnClose(request.raw.socket);
  void reply.code(status).header('connection', 'close').send({ error });
}

/**
 * An `onRequest` hook for a signed route: it runs before fastify reads any of the body and answers 401 (a signature
 * header missing or malformed) or 415 (a media type the sender does not post) with `Connection: close`. The route
 * itself still verifies the signature over the exact bytes; this only decides whether reading them is worth it.
 */
export function signedRequestGuard(spec: SignedRouteSpec): onRequestHookHandler {
  const accepted = new Set(spec.contentTypes);
  // A callback hook, not an async one: it decides synchronously, and a promise per request is what it would add.
  // Having answered, it does not call `done` (fastify's rule for a hook that replies).
  return (request, reply, done) => {
    for (const expected of spec.headers) {
      const value = header(request, expected.name);
      if (value === undefined || !expected.wellFormed(value)) {
        request.log.warn({ header: expected.name, present: value !== undefined }, `${spec.sender} refused`);
        refuse(request, reply, 401, `missing or malformed ${expected.name}`);
        return;
      }
    }
    const type = mediaType(header(request, 'content-type'));
    if (!accepted.has(type)) {
      const message =
        spec.wrongContentType?.(type) ??
        `${spec.sender} bodies are ${spec.contentTypes.join(' or ')}, not ${type || 'untyped'}`;
      request.log.warn({ contentType: type }, `${spec.sender} refused`);
      refuse(request, reply, 415, message);
      return;
    }
    done();
  };
}
