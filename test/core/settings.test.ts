import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { TunnelbotError } from '../../src/errors.js';
import { defaultSettings, findEnvironment, parseSettings } from '../../src/core/settings.js';

function settingsError(text: string): TunnelbotError {
  try {
    parseSettings(text, 'tunnelbot.yaml');
  } catch (error) {
    assert.ok(error instanceof TunnelbotError);
    assert.equal(error.code, 'TB_ERR_SETTINGS');
    return error;
  }
  assert.fail('expected the settings to be rejected');
}

test('defaults: one per-app environment "default" at apps/tunnels, prefix tunnelbot, a pinned image', () => {
  const settings = defaultSettings();
  assert.equal(settings.environments.length, 1);
  assert.deepEqual(settings.environments[0], {
    name: 'default',
    path: 'apps/tunnels',
    tunnelMode: 'per-app',
    namespace: 'default',
  });
  assert.equal(settings.namePrefix, 'tunnelbot');
  assert.match(settings.cloudflaredImage, /^cloudflare\/cloudflared:\d{4}\.\d+\.\d+$/);
  assert.ok(Object.isFrozen(settings) && Object.isFrozen(settings.environments[0]));
});

test('the annotated example in deploy/ is valid and complete', () => {
  const settings = parseSettings(readFileSync('deploy/tunnelbot.example.yaml', 'utf8'), 'example');
  assert.deepEqual(
    settings.environments.map((environment) => [environment.name, environment.tunnelMode]),
    [
      ['staging', 'per-app'],
      ['production', 'shared'],
    ],
  );
  assert.equal(settings.repository?.owner, 'acme');
});

test('every problem is listed at once, each with where it is and a fix', () => {
  const error = settingsError(`
namePrefix: Tunnel_Bot
cloudflaredImage: cloudflare/cloudflared:latest
ageRecipients: [AGE-SECRET-KEY-1XYZ]
environments:
  - name: staging
    path: /abs/path
    tunnelMode: sometimes
    colour: blue
`);
  for (const fragment of [
    'namePrefix: must be a DNS-1123 label',
    'cloudflaredImage: must pin a version',
    'ageRecipients.0: must be an age public key',
    'environments.0.path: must be a path relative to the repository root',
    'environments.0.tunnelMode:',
    'environments.0: has unknown key "colour" (a typo?)',
  ]) {
    assert.ok(error.message.includes(fragment), `missing "${fragment}" in:\n${error.message}`);
  }
});

test('duplicate environment names, sharedConfig in per-app mode and bad YAML are refused', () => {
  assert.match(
    settingsError('environments:\n  - {name: a, path: x}\n  - {name: a, path: y}\n').message,
    /"a" is used twice/,
  );
  assert.match(
    settingsError('environments:\n  - {name: a, path: x, sharedConfig: x/cm.yaml}\n').message,
    /only valid with tunnelMode: shared/,
  );
  assert.match(
    settingsError('environments: [\n').message,
    /^tunnelbot.yaml line 2, column 1: .*\n +1 \| environments: \[\n +2 \| \n +\| \^$/,
  );
});

test('paths are normalised and environments are found by name', () => {
  const settings = parseSettings(
    'environments:\n  - {name: a, path: ./apps/a/}\n  - {name: b, path: apps/b, domain: example.com}\n',
    'x',
  );
  assert.equal(findEnvironment(settings, 'a').path, 'apps/a');
  assert.equal(findEnvironment(settings, 'b').domain, 'example.com');
  assert.throws(() => findEnvironment(settings, undefined), /Several environments are configured \(a, b\)/);
  assert.throws(() => findEnvironment(settings, 'c'), /Unknown environment "c"; configured: a, b/);
});
