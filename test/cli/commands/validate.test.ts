import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { main } from '../../../src/cli.js';
import { captureIo } from '../../helpers/io.js';

const SEED_CONFIGMAP = join(
  import.meta.dirname,
  '../../fixtures/repos/seed/apps/staging/cloudflared/configmap.yaml',
);

test('validate and rule read the config inside a ConfigMap manifest, as plan does', async () => {
  const io = captureIo();
  assert.equal(await main(['validate', SEED_CONFIGMAP], io), 0, io.err);
  assert.equal(io.out, 'OK\n');
  const rule = captureIo();
  assert.equal(await main(['rule', SEED_CONFIGMAP, 'https://hello.example.com/'], rule), 0, rule.err);
  assert.equal(rule.out, 'Matched rule #1\n');
});

test('an invalid config inside a ConfigMap fails with the error of the config itself', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tunnelbot-validate-'));
  writeFileSync(
    join(dir, 'cm.yaml'),
    'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cloudflared}\ndata:\n  config.yaml: |\n    ingress:\n      - hostname: a.example.com\n        service: http://a:80\n',
  );
  const io = captureIo(dir);
  assert.equal(await main(['validate', 'cm.yaml'], io), 1);
  assert.match(io.err, /^tunnelbot validate: Validation failed: .*last ingress rule must match all URLs/);
  assert.match(io.err, /TB_ERR_CLOUDFLARED_INVALID_CONFIG/);
});
