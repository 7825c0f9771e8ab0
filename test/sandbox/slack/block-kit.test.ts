import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkBlockKit } from '../../../src/sandbox/slack/block-kit.js';

const section = (text: string) => ({ type: 'section', text: { type: 'mrkdwn', text } });
const button = (actionId: string, extra: Record<string, unknown> = {}) => ({
  type: 'button',
  action_id: actionId,
  text: { type: 'plain_text', text: 'Go' },
  ...extra,
});
const option = (value: string, text = value) => ({ text: { type: 'plain_text', text }, value });

describe('checkBlockKit', () => {
  test('a message tunnelbot would send passes', () => {
    const blocks = [
      { type: 'header', text: { type: 'plain_text', text: 'Expose grafana' } },
      section('*grafana* in `prod` requested by <@U1>'),
      {
        type: 'section',
        fields: [
          { type: 'mrkdwn', text: '*Hostname*\ngrafana.example.org' },
          { type: 'mrkdwn', text: '*Port*\n3000' },
        ],
      },
      { type: 'divider' },
      { type: 'context', elements: [{ type: 'mrkdwn', text: 'PR #12' }] },
      {
        type: 'actions',
        block_id: 'decide',
        elements: [
          button('approve', { style: 'primary', value: 'r-1' }),
          button('reject', { value: 'r-1' }),
          button('pr', { url: 'https://github.com/o/r/pull/12' }),
        ],
      },
    ];
    assert.deepEqual(checkBlockKit(blocks, 'message'), []);
  });

  test('section text over 3000 characters is refused with its pointer, as Slack words it', () => {
    assert.deepEqual(checkBlockKit([section('x'.repeat(3001))], 'message'), [
      'must be less than 3001 characters [json-pointer:/blocks/0/text/text]',
    ]);
    assert.deepEqual(checkBlockKit([section('x'.repeat(3000))], 'message'), []);
  });

  test('51 blocks are too many for a message, 100 fit a modal and 101 do not', () => {
    const many = (n: number) => Array.from({ length: n }, () => ({ type: 'divider' }));
    assert.deepEqual(checkBlockKit(many(50), 'message'), []);
    assert.deepEqual(checkBlockKit(many(51), 'message'), [
      'no more than 50 items allowed [json-pointer:/blocks]',
    ]);
    assert.deepEqual(checkBlockKit(many(100), 'modal'), []);
    assert.deepEqual(checkBlockKit(many(101), 'modal'), [
      'no more than 100 items allowed [json-pointer:/blocks]',
    ]);
  });

  test('fields: at most 10, each at most 2000 characters', () => {
    const field = (text: string) => ({ type: 'mrkdwn', text });
    const eleven = Array.from({ length: 11 }, () => field('a'));
    assert.deepEqual(checkBlockKit([{ type: 'section', fields: eleven }], 'message'), [
      'no more than 10 items allowed [json-pointer:/blocks/0/fields]',
    ]);
    assert.deepEqual(
      checkBlockKit([{ type: 'section', fields: [field('a'), field('b'.repeat(2001))] }], 'message'),
      ['must be less than 2001 characters [json-pointer:/blocks/0/fields/1/text]'],
    );
  });

  test('header text is plain_text of at most 150 characters', () => {
    assert.deepEqual(
      checkBlockKit([{ type: 'header', text: { type: 'plain_text', text: 'h'.repeat(151) } }], 'message'),
      ['must be less than 151 characters [json-pointer:/blocks/0/text/text]'],
    );
    assert.deepEqual(checkBlockKit([{ type: 'header', text: { type: 'mrkdwn', text: '*h*' } }], 'message'), [
      'must be one of: plain_text [json-pointer:/blocks/0/text/type]',
    ]);
  });

  test('context holds at most 10 elements, actions at most 25', () => {
    const context = {
      type: 'context',
      elements: Array.from({ length: 11 }, () => ({ type: 'mrkdwn', text: 'c' })),
    };
    const actions = { type: 'actions', elements: Array.from({ length: 26 }, (_, i) => button(`b${i}`)) };
    assert.deepEqual(checkBlockKit([context, actions], 'message'), [
      'no more than 10 items allowed [json-pointer:/blocks/0/elements]',
      'no more than 25 items allowed [json-pointer:/blocks/1/elements]',
    ]);
  });

  test('button limits: text 75, value 2000, url 3000, action_id 255', () => {
    const blocks = [
      {
        type: 'actions',
        elements: [
          button('a', { text: { type: 'plain_text', text: 't'.repeat(76) } }),
          button('b', { value: 'v'.repeat(2001) }),
          button('c', { url: `https://x/${'u'.repeat(3000)}` }),
          button('d'.repeat(256)),
        ],
      },
    ];
    assert.deepEqual(checkBlockKit(blocks, 'message'), [
      'must be less than 76 characters [json-pointer:/blocks/0/elements/0/text/text]',
      'must be less than 2001 characters [json-pointer:/blocks/0/elements/1/value]',
      'must be less than 3001 characters [json-pointer:/blocks/0/elements/2/url]',
      'must be less than 256 characters [json-pointer:/blocks/0/elements/3/action_id]',
    ]);
  });

  test('action_id must be unique within its block (Slack: "unique among all other action_ids in the containing block"); block_id unique in the message and at most 255', () => {
    const blocks = [
      { type: 'actions', block_id: 'one', elements: [button('approve'), button('approve')] },
      { type: 'section', block_id: 'one', text: { type: 'mrkdwn', text: 'x' }, accessory: button('approve') },
      { type: 'divider', block_id: 'b'.repeat(256) },
    ];
    assert.deepEqual(checkBlockKit(blocks, 'message'), [
      'duplicate action_id: approve [json-pointer:/blocks/0/elements/1/action_id]',
      'duplicate block_id: one [json-pointer:/blocks/1/block_id]',
      'must be less than 256 characters [json-pointer:/blocks/2/block_id]',
    ]);
  });

  test('input label at most 2000; plain_text_input initial_value at most 3000', () => {
    const input = {
      type: 'input',
      label: { type: 'plain_text', text: 'l'.repeat(2001) },
      element: { type: 'plain_text_input', action_id: 'name', initial_value: 'v'.repeat(3001) },
    };
    assert.deepEqual(checkBlockKit([input], 'modal'), [
      'must be less than 2001 characters [json-pointer:/blocks/0/label/text]',
      'must be less than 3001 characters [json-pointer:/blocks/0/element/initial_value]',
    ]);
  });

  test('static_select: at most 100 options, option text 75, option value 150', () => {
    const select = (options: unknown[]) => ({
      type: 'input',
      label: { type: 'plain_text', text: 'Environment' },
      element: { type: 'static_select', action_id: 'env', options },
    });
    const hundredOne = Array.from({ length: 101 }, (_, i) => option(`o${i}`));
    assert.deepEqual(checkBlockKit([select(hundredOne)], 'modal'), [
      'no more than 100 items allowed [json-pointer:/blocks/0/element/options]',
    ]);
    assert.deepEqual(
      checkBlockKit([select([option('ok', 't'.repeat(76)), option('v'.repeat(151), 'long value')])], 'modal'),
      [
        'must be less than 76 characters [json-pointer:/blocks/0/element/options/0/text/text]',
        'must be less than 151 characters [json-pointer:/blocks/0/element/options/1/value]',
      ],
    );
  });

  test('empty text objects are refused', () => {
    assert.deepEqual(checkBlockKit([section('')], 'message'), [
      'must be more than 0 characters [json-pointer:/blocks/0/text/text]',
    ]);
    assert.deepEqual(
      checkBlockKit([{ type: 'context', elements: [{ type: 'plain_text', text: '' }] }], 'message'),
      ['must be more than 0 characters [json-pointer:/blocks/0/elements/0/text]'],
    );
  });

  test('unknown block types and non-arrays are refused', () => {
    assert.deepEqual(checkBlockKit([{ type: 'sectoin' }], 'message'), [
      'unsupported type: sectoin [json-pointer:/blocks/0/type]',
    ]);
    assert.deepEqual(checkBlockKit({ type: 'divider' }, 'message'), [
      'must provide an array [json-pointer:/blocks]',
    ]);
    assert.deepEqual(checkBlockKit(['divider'], 'message'), [
      'must provide an object [json-pointer:/blocks/0]',
    ]);
  });
});
