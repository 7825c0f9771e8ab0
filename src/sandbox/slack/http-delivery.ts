import { signSlackRequest } from './signing.js';

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

export async function postToApp(
  target: HttpDeliveryTarget,
  request: SlackHttpRequest,
  timeoutMs: number,
): Promise<unknown> {
  const headers: Record<string, string> = {
    'content-type': request.contentType,
    ...signSlackRequest({ signingSecret: target.signingSecret, body: request.body }),
  };
  if (request.retry) {
    headers['x-slack-retry-num'] = String(request.retry.num);
    headers['x-slack-retry-reason'] = request.retry.reason;
  }
  let response: Response;
  try {
    response = await fetch(target.url, {
      method: 'POST',
      headers,
      body: request.body,
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    const timedOut = error instanceof DOMException && error.name === 'TimeoutError';
    throw new Error(
      timedOut
        ? `the app did not answer a Slack delivery to ${target.url} within ${timeoutMs} ms`
        : `could not deliver to the app at ${target.url}: ${String(error)}`,
      { cause: error },
    );
  }
  const text = await response.text();
  if (!response.ok) throw new FakeSlackDeliveryError(response.status, text);
  if (text === '') return undefined;
  return (response.headers.get('content-type') ?? '').startsWith('application/json')
    ? JSON.parse(text)
    : text;
}
