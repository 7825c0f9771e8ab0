import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { verifySlackRequest } from '@slack/bolt';
import { signSlackRequest } from '../../../src/sandbox/slack/signing.js';

// The worked example of Slack's "Verifying requests from Slack" page.
const DOC_SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
const DOC_TIMESTAMP = 1531420618;
const DOC_BODY =
  'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';

describe('signSlackRequest', () => {
  test("reproduces the signature of Slack's documented example", () => {
    assert.deepEqual(
      signSlackRequest({ signingSecret: DOC_SECRET, body: DOC_BODY, timestamp: DOC_TIMESTAMP }),
      {
        'x-slack-request-timestamp': '1531420618',
        'x-slack-signature': 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503',
      },
    );
  });

  test("Bolt's verifySlackRequest accepts what it signs now, and refuses another secret or body", () => {
    const body = JSON.stringify({ type: 'event_callback', event: { type: 'app_mention' } });
    const headers = signSlackRequest({ signingSecret: 'shh', body });
    const verify = (signingSecret: string, signedBody: string) =>
      verifySlackRequest({
        signingSecret,
        body: signedBody,
        headers: {
          'x-slack-signature': headers['x-slack-signature'] as string,
          'x-slack-request-timestamp': Number(headers['x-slack-request-timestamp']),
        },
      });
    assert.doesNotThrow(() => verify('shh', body));
    assert.throws(() => verify('other', body), /signature mismatch/);
    assert.throws(() => verify('shh', `${body} `), /signature mismatch/);
  });
});
