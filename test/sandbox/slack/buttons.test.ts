import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { findButtons } from '../../../src/sandbox/slack/buttons.js';

const button = (actionId: string) => ({
  type: 'button',
  action_id: actionId,
  text: { type: 'plain_text', text: actionId },
});

describe('findButtons', () => {
  test('finds buttons in actions blocks and section accessories, and nothing else', () => {
    const blocks = [
      { type: 'section', block_id: 's', text: { type: 'mrkdwn', text: 'x' }, accessory: button('open') },
      {
        type: 'actions',
        block_id: 'a',
        elements: [
          button('approve'),
          { type: 'static_select', action_id: 'env', options: [] },
          button('reject'),
        ],
      },
      { type: 'context', elements: [button('not-interactive-here')] },
    ];
    assert.deepEqual(
      findButtons(blocks, '1700000000.000100').map((b) => [b.blockId, b.element.action_id]),
      [
        ['s', 'open'],
        ['a', 'approve'],
        ['a', 'reject'],
      ],
    );
  });

  test('a block without block_id gets one that depends on the message and position only', () => {
    const blocks = [{ type: 'actions', elements: [button('go')] }];
    const first = findButtons(blocks, '1700000000.000100')[0]?.blockId;
    assert.equal(findButtons(blocks, '1700000000.000100')[0]?.blockId, first);
    assert.notEqual(findButtons(blocks, '1700000000.000200')[0]?.blockId, first);
    assert.match(first ?? '', /^[\w-]{5}$/);
  });
});
