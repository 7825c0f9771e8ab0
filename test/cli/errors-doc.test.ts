import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { renderErrorsDoc } from '../../src/errors-doc.js';
import { ERROR_CATALOG, TunnelbotError, asTunnelbotError } from '../../src/errors.js';

test('docs/errors.md lists every code of the catalog (run `npm run docs:errors` after adding one)', () => {
  assert.equal(readFileSync('docs/errors.md', 'utf8'), renderErrorsDoc());
});

test('every catalog entry has a title and a fix, and codes follow TB_ERR_*', () => {
  for (const [code, entry] of Object.entries(ERROR_CATALOG)) {
    assert.match(code, /^TB_ERR_[A-Z0-9_]+$/);
    assert.ok(entry.title.length > 10 && entry.fix.length > 10, code);
  }
});

test('unknown errors become TB_ERR_INTERNAL and keep their cause; user text shows the fix and code', () => {
  const cause = new Error('boom');
  const wrapped = asTunnelbotError(cause);
  assert.equal(wrapped.code, 'TB_ERR_INTERNAL');
  assert.equal(wrapped.kind, 'internal');
  assert.equal(wrapped.cause, cause);
  const error = new TunnelbotError('TB_ERR_USAGE', 'bad flag', { fix: 'use --good' });
  assert.equal(asTunnelbotError(error), error);
  assert.equal(error.toUserText(), 'bad flag\nFix: use --good (TB_ERR_USAGE)');
});
