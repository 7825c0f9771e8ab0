import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { contentError, parseArgs } from '../../../src/sandbox/slack/wire.js';

describe('parseArgs', () => {
  test('decodes blocks and view sent as JSON strings inside a form, as the web-api client sends them', () => {
    const form = new URLSearchParams({
      trigger_id: 't',
      view: JSON.stringify({ type: 'modal' }),
      blocks: JSON.stringify([{ type: 'divider' }]),
    }).toString();
    assert.deepEqual(parseArgs('application/x-www-form-urlencoded', form), {
      ok: true,
      args: { trigger_id: 't', view: { type: 'modal' }, blocks: [{ type: 'divider' }] },
    });
    assert.deepEqual(parseArgs('application/x-www-form-urlencoded', 'view=%7Bnot-json'), {
      ok: false,
      error: 'invalid_arguments',
    });
  });
});

describe('contentError', () => {
  test('invalid_blocks carries the problems bare in errors and prefixed in response_metadata, as Slack answers', () => {
    assert.deepEqual(
      contentError({ text: 'x', blocks: [{ type: 'header', text: { type: 'plain_text', text: '' } }] }),
      {
        ok: false,
        error: 'invalid_blocks',
        errors: ['must be more than 0 characters [json-pointer:/blocks/0/text/text]'],
        response_metadata: {
          messages: ['[ERROR] must be more than 0 characters [json-pointer:/blocks/0/text/text]'],
        },
      },
    );
  });

  test('text is limited to 40,000 characters; content within every limit passes', () => {
    assert.deepEqual(contentError({ text: 'x'.repeat(40_001) }), { ok: false, error: 'msg_too_long' });
    assert.equal(contentError({ text: 'x'.repeat(40_000), blocks: [{ type: 'divider' }] }), undefined);
  });
});
