import { Agent, request as httpRequest } from 'node:http';
import { signSlackRequest } from './signing.js';
import type { Envelope } from './types.js';

/**
 * Delivery to an app's Request URL, as Slack does in HTTP mode: one signed POST per payload, the response body
 * being the ack. Slack gives up after 3 s; so does this, after the fake's ack timeout.
 */

export interface HttpDeliveryTarget {
  url: string;
  signingSecret: string;
}

export interface SlackHttpRequest {
  body: string;
  contentType: 'application/x-www-form-urlencoded' | 'application/json';
  /** Retries of an event carry these (`x-slack-retry-num`, `x-slack-retry-reason`). */
  retry?: { num: number; reason: string };
}

/** The app answered, but not with a 2xx. */
export class FakeSlackDeliveryError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
  ) {
    super(
      `the app answered HTTP ${status} to a Slack delivery${body === '' ? '' : `: ${body.slice(0, 200)}`}`,
    );
    this.name = 'FakeSlackDeliveryError';
  }
}

/** The headers Slack sends with `request`: its content type, the v0 signature of now, a retry's number and reason. */
export function deliveryHeaders(
  target: HttpDeliveryTarget,
  request: SlackHttpRequest,
): Record<string, string> {
  const headers: Record<string, string> = {
    'content-type': request.contentType,
    ...signSlackRequest({ signingSecret: target.signingSecret, body: request.body }),
  };
  if (request.retry) {
    headers['x-slack-retry-num'] = String(request.retry.num);
    headers['x-slack-retry-reason'] = request.retry.reason;
  }
  return headers;
}

export async function postToApp(
  target: HttpDeliveryTarget,
  request: SlackHttpRequest,
  timeoutMs: number,
): Promise<unknown> {
  const headers = deliveryHeaders(target, request);
  let answer: { status: number; type: string; text: string };
  try {
    answer = await post(target.url, headers, request.body, timeoutMs);
  } catch (error) {
    const timedOut = error instanceof Error && error.name === 'TimeoutError';
    throw new Error(
      timedOut
        ? `the app did not answer a Slack delivery to ${target.url} within ${timeoutMs} ms`
        : `could not deliver to the app at ${target.url}: ${String(error)}`,
      { cause: error },
    );
  }
  if (answer.status < 200 || answer.status > 299)
    throw new FakeSlackDeliveryError(answer.status, answer.text);
  if (answer.text === '') return undefined;
  return answer.type.startsWith('application/json') ? JSON.parse(answer.text) : answer.text;
}

// Slack keeps its connections to a Request URL open between deliveries, as this agent does.
const agent = new Agent({ keepAlive: true });

function post(
  url: string,
  headers: Record<string, string>,
  body: string,
  timeoutMs: number,
): Promise<{ status: number; type: string; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      { method: 'POST', headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) }, agent },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            type: String(res.headers['content-type'] ?? ''),
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.setTimeout(timeoutMs, () => {
      const error = new Error(`no answer within ${timeoutMs} ms`);
      error.name = 'TimeoutError';
      req.destroy(error);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The request Slack sends to a Request URL for an envelope's payload. */
export function slackHttpRequest(envelope: Envelope): SlackHttpRequest {
  const form = 'application/x-www-form-urlencoded';
  switch (envelope.type) {
    case 'slash_commands':
      return {
        contentType: form,
        body: new URLSearchParams(envelope.payload as Record<string, string>).toString(),
      };
    case 'interactive':
      return {
        contentType: form,
        body: new URLSearchParams({ payload: JSON.stringify(envelope.payload) }).toString(),
      };
    case 'events_api': {
      const request: SlackHttpRequest = {
        contentType: 'application/json',
        body: JSON.stringify(envelope.payload),
      };
      if (envelope.retry_attempt) request.retry = { num: envelope.retry_attempt, reason: 'http_timeout' };
      return request;
    }
  }
}
