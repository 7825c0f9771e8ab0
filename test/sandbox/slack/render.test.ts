import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { renderMessage } from '../../../src/sandbox/slack/render.js';

const users = (id: string) => ({ U0ALICE001: 'alice' })[id];

describe('renderMessage', () => {
  test('text alone is shown with mentions, links and escapes decoded', () => {
    const text =
      '<@U0ALICE001> asked for <https://grafana.example.org|grafana> (see <https://github.com/o/r/pull/1>): a &lt; b &amp;&amp; c &gt; d';
    assert.equal(
      renderMessage({ text }, users),
      '@alice asked for grafana (https://grafana.example.org) (see https://github.com/o/r/pull/1): a < b && c > d',
    );
  });

  test('an unknown user stays an id; without a lookup every mention does', () => {
    assert.equal(
      renderMessage({ text: 'hi <@U0BOB00001> and <@U0ALICE001>' }, users),
      'hi @U0BOB00001 and @alice',
    );
    assert.equal(renderMessage({ text: '<@U0ALICE001>' }), '@U0ALICE001');
  });

  test('blocks win over the text fallback: header, section, fields, divider, context, buttons', () => {
    const blocks = [
      { type: 'header', text: { type: 'plain_text', text: 'Expose grafana' } },
      { type: 'section', text: { type: 'mrkdwn', text: 'Requested by <@U0ALICE001>' } },
      {
        type: 'section',
        fields: [
          { type: 'mrkdwn', text: '*Hostname*\ngrafana.example.org' },
          { type: 'mrkdwn', text: '*Port*\n3000' },
        ],
      },
      { type: 'divider' },
      {
        type: 'context',
        elements: [
          { type: 'mrkdwn', text: '<https://github.com/o/r/pull/12|PR #12>' },
          { type: 'plain_text', text: 'prod' },
        ],
      },
      {
        type: 'actions',
        elements: [
          { type: 'button', action_id: 'approve', text: { type: 'plain_text', text: 'Approve & merge' } },
          { type: 'button', action_id: 'reject', text: { type: 'plain_text', text: 'Reject' } },
        ],
      },
    ];
    assert.equal(
      renderMessage({ text: 'fallback that is not shown', blocks }, users),
      [
        'Expose grafana',
        'Requested by @alice',
        '*Hostname*',
        'grafana.example.org',
        '*Port*',
        '3000',
        '---',
        'PR #12 (https://github.com/o/r/pull/12)  prod',
        '[Approve & merge] [Reject]',
      ].join('\n'),
    );
  });

  test('plain_text is shown as written, escapes and all; a section accessory button shows after its text', () => {
    const blocks = [
      {
        type: 'section',
        text: { type: 'plain_text', text: '&lt;not decoded&gt;' },
        accessory: { type: 'button', action_id: 'open', text: { type: 'plain_text', text: 'Open' } },
      },
    ];
    assert.equal(renderMessage({ blocks }), '&lt;not decoded&gt;\n[Open]');
  });

  test('channel, group and special mentions read as Slack shows them', () => {
    assert.equal(
      renderMessage({
        text: '<#C0OPS00001|ops> <!subteam^S0ADMINS|@admins> <!here> <mailto:a@b.org|a@b.org>',
      }),
      '#ops @admins @here a@b.org (mailto:a@b.org)',
    );
  });
});
