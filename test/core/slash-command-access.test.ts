import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EXPOSE_USAGE, parseSlashCommand } from '../../src/core/slash-command.js';
import { TunnelbotError } from '../../src/errors.js';

test('/expose takes access=public and nothing else for access', () => {
  assert.deepEqual(parseSlashCommand('/expose', 'grafana 3000 access=public'), {
    kind: 'expose',
    app: 'grafana',
    port: 3000,
    access: 'public',
  });
  assert.equal('access' in parseSlashCommand('/expose', 'grafana 3000'), false);
  assert.throws(
    () => parseSlashCommand('/expose', 'grafana 3000 access=none'),
    (error: unknown) =>
      error instanceof TunnelbotError &&
      error.code === 'TB_ERR_USAGE' &&
      /only value is access=public/.test(error.message),
  );
  assert.match(EXPOSE_USAGE, /\[access=public\]/);
});
