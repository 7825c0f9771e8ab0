import type { FastifyInstance, FastifyRequest } from 'fastify';

/** The first value of a request header (Node joins most repeated headers, but not all). */
export function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Keeps JSON bodies as their exact bytes in `app` (a route's own encapsulated plugin, so other routes still get
 * parsed objects): the signature covers the raw bytes, and a re-serialisation differs (key order, whitespace, Go's
 * escaping of `<>&`).
 */
export function keepRawJson(app: FastifyInstance, bodyLimit: number): void {
  app.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit }, (_request, body, done) =>
    done(null, body),
  );
}

/** The raw body `keepRawJson` kept (empty when the request had none). */
export function rawBody(request: FastifyRequest): Buffer {
  return Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
}
