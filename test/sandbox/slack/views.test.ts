import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkModalView, submissionState, withGeneratedIds } from '../../../src/sandbox/slack/views.js';

const plain = (text: string) => ({ type: 'plain_text', text });
const envOptions = [
  { text: plain('Production'), value: 'prod' },
  { text: plain('Staging'), value: 'staging' },
];
const modal = (extra: Record<string, unknown> = {}) => ({
  type: 'modal',
  callback_id: 'expose',
  title: plain('Expose a service'),
  submit: plain('Expose'),
  close: plain('Cancel'),
  blocks: [
    {
      type: 'input',
      block_id: 'app',
      label: plain('App'),
      element: { type: 'plain_text_input', action_id: 'name' },
    },
  ],
  ...extra,
});

describe('checkModalView', () => {
  test('a well-formed modal passes', () => {
    assert.deepEqual(checkModalView(modal()), []);
  });

  test('title, submit and close are plain_text of at most 24 characters', () => {
    assert.deepEqual(
      checkModalView(
        modal({ title: plain('t'.repeat(25)), submit: plain('s'.repeat(25)), close: plain('c'.repeat(25)) }),
      ),
      [
        'must be less than 25 characters [json-pointer:/view/title/text]',
        'must be less than 25 characters [json-pointer:/view/submit/text]',
        'must be less than 25 characters [json-pointer:/view/close/text]',
      ],
    );
    assert.deepEqual(checkModalView(modal({ title: { type: 'mrkdwn', text: '*t*' } })), [
      'must be one of: plain_text [json-pointer:/view/title/type]',
    ]);
  });

  test('type must be modal; callback_id at most 255, private_metadata at most 3000', () => {
    assert.deepEqual(
      checkModalView(
        modal({ type: 'home', callback_id: 'c'.repeat(256), private_metadata: 'p'.repeat(3001) }),
      ),
      [
        'must be one of: modal [json-pointer:/view/type]',
        'must be less than 256 characters [json-pointer:/view/callback_id]',
        'must be less than 3001 characters [json-pointer:/view/private_metadata]',
      ],
    );
  });

  test('block problems are reported under /view/blocks; an input block needs a submit button', () => {
    const { submit: _submit, ...withoutSubmit } = modal();
    assert.deepEqual(checkModalView(withoutSubmit), [
      'must define `submit` to use an `input` block in modals [json-pointer:/view/blocks/0/input]',
    ]);
    const tooMany = Array.from({ length: 101 }, () => ({ type: 'divider' }));
    assert.deepEqual(checkModalView(modal({ blocks: tooMany })), [
      'no more than 100 items allowed [json-pointer:/view/blocks]',
    ]);
  });
});

describe('submissionState', () => {
  const blocks = withGeneratedIds(
    [
      { type: 'section', text: { type: 'mrkdwn', text: 'Pick' } },
      {
        type: 'input',
        block_id: 'app',
        label: plain('App'),
        element: { type: 'plain_text_input', action_id: 'name' },
      },
      {
        type: 'input',
        block_id: 'env',
        label: plain('Environment'),
        element: {
          type: 'static_select',
          action_id: 'pick',
          options: envOptions,
          initial_option: envOptions[1],
        },
      },
      {
        type: 'input',
        block_id: 'flags',
        optional: true,
        label: plain('Flags'),
        element: {
          type: 'checkboxes',
          action_id: 'chosen',
          options: [{ text: plain('Public'), value: 'public' }],
        },
      },
    ],
    (() => {
      let n = 0;
      return () => `gen${(n += 1)}`;
    })(),
  );

  test('holds every input block, what was entered or the initial value, options as Slack echoes them', () => {
    assert.deepEqual(
      submissionState('V1', blocks, { app: { name: { type: 'plain_text_input', value: 'grafana' } } }),
      {
        app: { name: { type: 'plain_text_input', value: 'grafana' } },
        env: {
          pick: {
            type: 'static_select',
            selected_option: { text: { type: 'plain_text', text: 'Staging', emoji: true }, value: 'staging' },
          },
        },
        flags: { chosen: { type: 'checkboxes', selected_options: [] } },
      },
    );
  });

  test('generated ids fill only what the sender left out', () => {
    assert.equal((blocks[0] as { block_id: string }).block_id, 'gen1');
    assert.equal((blocks[1] as { block_id: string }).block_id, 'app');
  });

  test('input the view could not have produced is a test mistake and throws', () => {
    assert.throws(
      () => submissionState('V1', blocks, { nope: { name: { type: 'plain_text_input', value: 'x' } } }),
      /view V1 has no input block nope; its input blocks: app, env, flags/,
    );
    assert.throws(
      () => submissionState('V1', blocks, { app: { other: { type: 'plain_text_input', value: 'x' } } }),
      /input block app of view V1 holds action_id name, not other/,
    );
    assert.throws(
      () =>
        submissionState('V1', blocks, {
          app: { name: { type: 'plain_text_input', value: 'x' } },
          env: { pick: { type: 'static_select', selected_option: { value: 'dev' } } },
        }),
      /input env of view V1 has no option with value dev/,
    );
    assert.throws(
      () =>
        submissionState('V1', blocks, { app: { name: { type: 'static_select', selected_option: null } } }),
      /input app of view V1 is a plain_text_input, not a static_select/,
    );
  });

  test("a required input left empty cannot be submitted, as Slack's client refuses", () => {
    assert.throws(
      () => submissionState('V1', blocks, {}),
      /Slack would not submit view V1: the required input app is empty/,
    );
    assert.throws(
      () => submissionState('V1', blocks, { app: { name: { type: 'plain_text_input', value: '' } } }),
      /required input app is empty/,
    );
  });
});
