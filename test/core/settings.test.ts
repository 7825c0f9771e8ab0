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

test('the default cloudflared image is a release with the 2026.8 security fixes, and the docs name it', () => {
  const { cloudflaredImage } = defaultSettings();
  const [year = 0, month = 0, patch = 0] = (/:(\d+)\.(\d+)\.(\d+)$/.exec(cloudflaredImage) ?? [])
    .slice(1)
    .map(Number);
  // 2026.8.2 is the first release with the VULN-141859 fixes settled (cloudflared RELEASE_NOTES).
  assert.ok(
    year * 10_000 + month * 100 + patch >= 2026_08_02,
    `${cloudflaredImage} predates cloudflared 2026.8.2`,
  );
  for (const file of ['deploy/tunnelbot.example.yaml', 'docs/install.md']) {
    assert.ok(readFileSync(file, 'utf8').includes(cloudflaredImage), `${file} names ${cloudflaredImage}`);
  }
});

test('repository.mergeMethod is optional and one of squash, merge, rebase', () => {
  const base = 'repository: {owner: acme, name: gitops, mergeMethod: %s}\n';
  assert.equal(parseSettings(base.replace('%s', 'rebase'), 't.yaml').repository?.mergeMethod, 'rebase');
  assert.equal(
    parseSettings('repository: {owner: acme, name: gitops}\n', 't.yaml').repository?.mergeMethod,
    undefined,
  );
  const error = settingsError(base.replace('%s', 'fast-forward'));
  assert.match(error.message, /repository\.mergeMethod: must be one of "squash", "merge", "rebase"/);
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
  assert.deepEqual(
    settings.environments.map((environment) => environment.access?.mode),
    ['required', 'optional'],
  );
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
  // Found by the planner fuzzer: an alias without its anchor threw yaml's ReferenceError, an internal error.
  assert.match(
    settingsError('environments:\n  - {name: a, path: x, domain: *domain}\n').message,
    /^tunnelbot.yaml line 2, column 32: the alias \*domain has no anchor &domain before it\n/,
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

test('access settings: each mistake is named before anything is created', () => {
  const env = (access: unknown) =>
    JSON.stringify({ environments: [{ name: 'prod', path: 'apps/prod', access }] });
  assert.match(settingsError(env({ mode: 'always' })).message, /environments\.0\.access\.mode/);
  assert.match(
    settingsError(env({ mode: 'required', teamName: 'acme', include: [{ email: 'not-an-email' }] })).message,
    /must be an email address/,
  );
  assert.match(
    settingsError(env({ mode: 'required', teamName: 'acme', include: [{ group: 'Staff' }] })).message,
    /id of an Access group/,
  );
  assert.match(
    settingsError(env({ mode: 'required', policies: ['Staff'] })).message,
    /access\.teamName: needed/,
  );
  assert.match(settingsError(env({ mode: 'optional', teamName: 'acme' })).message, /say who may enter/);
  assert.match(
    settingsError(
      env({ mode: 'required', teamName: 'acme', policies: ['Staff'], include: [{ email: 'a@b.io' }] }),
    ).message,
    /either policies or include/,
  );
  assert.match(
    settingsError(env({ mode: 'required', teamName: 'acme', policies: ['Staff', 'Staff'] })).message,
    /"Staff" is listed twice/,
  );
  const settings = parseSettings(env({ mode: 'off' }), 'tunnelbot.yaml');
  assert.equal(settings.environments[0]!.access?.mode, 'off');
});

test('problems of form and of meaning come in the same round', () => {
  const error = settingsError(
    [
      'instance: "has spaces"',
      'environments:',
      '  - {name: prod, path: apps/prod, sharedConfig: apps/prod/config.yaml}',
      '  - {name: prod, path: apps/prod2}',
      '  - {name: staging, path: /abs}',
      '  - {name: lab, path: apps/lab, access: {mode: required}}',
      'policy:',
      '  environments:',
      '    qa: {request: {everyone: true}}',
    ].join('\n'),
  );
  const lines = error.message.split('\n').filter((line) => line.startsWith('- '));
  // Two problems of form (instance, the absolute path) and five of meaning, all in one message.
  assert.match(error.message, /instance/);
  assert.match(error.message, /environments\.2\.path|path.*relative/);
  assert.match(error.message, /the name "prod" is used twice/);
  assert.match(error.message, /environments\.prod\.sharedConfig: only valid with tunnelMode: shared/);
  assert.match(error.message, /environments\.lab\.access\.teamName: needed with mode required/);
  assert.match(error.message, /environments\.lab\.access: say who may enter/);
  assert.match(error.message, /policy\.environments\.qa: no environment of that name/);
  assert.equal(lines.length, 7, error.message);
});

test('a name YAML reads as a number or true/false is refused with the quoting that keeps it text', () => {
  const error = settingsError(
    'environments:\n  - {name: 2, path: apps/two, domain: example.com, namespace: true}\n',
  );
  assert.match(
    error.message,
    /environments\.0\.name: must be a string, not a number\. Quote it .* `name: "2"`/,
  );
  assert.match(
    error.message,
    /environments\.0\.namespace: must be a string, not true or false\. Quote it .* `namespace: "on"`/,
  );
  const quoted = parseSettings(
    'environments:\n  - {name: "2", path: apps/two, domain: example.com, namespace: "true"}\n',
    '.tunnelbot.yaml',
  );
  assert.equal(quoted.environments[0]!.name, '2');
});
