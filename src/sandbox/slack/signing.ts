import { createHmac } from 'node:crypto';

/**
 * The two headers Slack signs a request with (v0): `v0=` and the hex HMAC-SHA256, keyed by the signing secret,
 * of `v0:<timestamp>:<raw body>`. `timestamp` is in seconds and defaults to now.
 */
export function signSlackRequest(input: {
  signingSecret: string;
  body: string;
  timestamp?: number;
}): Record<string, string> {
  const timestamp = input.timestamp ?? Math.floor(Date.now() / 1000);
  const digest = createHmac('sha256', input.signingSecret)
    .update(`v0:${timestamp}:${input.body}`)
    .digest('hex');
  return { 'x-slack-request-timestamp': String(timestamp), 'x-slack-signature': `v0=${digest}` };
}
