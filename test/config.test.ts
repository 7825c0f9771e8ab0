import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { test } from 'node:test';
import { loadConfig } from '../src/config.js';
import { TunnelbotError } from '../src/errors.js';

const { privateKey: PEM } = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
  publicKeyEncoding: { type: 'spki', format: 'pem' },
});

const complete = {
  SLACK_BOT_TOKEN: 'xoxb-1-2-abc',
  SLACK_APP_TOKEN: 'xapp-1-A-2-def',
  GITHUB_TOKEN: 'ghp_exampletoken',
  CLOUDFLARE_API_TOKEN: 'cf-token-value',
  CLOUDFLARE_ACCOUNT_ID: '0123456789abcdef0123456789abcdef',
};

function configError(env: NodeJS.ProcessEnv, readFile?: (path: string) => string): TunnelbotError {
  try {
    loadConfig(env, undefined, readFile);
  } catch (error) {
    assert.ok(error instanceof TunnelbotError && error.code === 'TB_ERR_CONFIG', String(error));
    return error;
  }
  assert.fail('expected a configuration error');
}

test('a complete environment gives a frozen config with defaults (socket mode, port 8080)', () => {
  const config = loadConfig(complete);
  assert.equal(config.slack.mode, 'socket');
  assert.equal(config.port, 8080);
  assert.deepEqual(config.github.auth, { kind: 'token', token: 'ghp_exampletoken' });
  assert.equal(config.settings.environments[0]!.name, 'default');
  assert.ok(Object.isFrozen(config) && Object.isFrozen(config.slack));
});

test('every missing variable is listed at once with its fix, and no secret value is echoed', () => {
  const error = configError({ SLACK_BOT_TOKEN: 'not-a-bot-token-s3cr3t', SLACK_MODE: 'http', PORT: '99999' });
  assert.match(error.message, /SLACK_BOT_TOKEN: must be a bot token/);
  assert.match(error.message, /PORT:/);
  assert.ok(!error.message.includes('s3cr3t'));
  const missing = configError({ SLACK_MODE: 'http' });
  for (const name of [
    'SLACK_BOT_TOKEN',
    'SLACK_SIGNING_SECRET',
    'No GitHub credentials',
    'CLOUDFLARE_API_TOKEN',
    'CLOUDFLARE_ACCOUNT_ID',
  ]) {
    assert.ok(missing.message.includes(name), `${name} missing from:\n${missing.message}`);
  }
  assert.ok(!missing.message.includes('SLACK_APP_TOKEN'), 'HTTP mode does not need the app token');
});

test('GitHub App auth needs all three variables; escaped newlines in the key are restored', () => {
  const { GITHUB_TOKEN: _, ...withoutToken } = complete;
  const app = loadConfig({
    ...withoutToken,
    GITHUB_APP_ID: '123',
    GITHUB_APP_PRIVATE_KEY: PEM.trimEnd().replace(/\n/g, '\\n'),
    GITHUB_APP_INSTALLATION_ID: '456',
  });
  assert.equal(app.github.auth.kind, 'app');
  assert.ok(app.github.auth.kind === 'app' && app.github.auth.privateKey === PEM.trimEnd());
  assert.match(configError({ ...withoutToken, GITHUB_APP_ID: '123' }).message, /needs all of GITHUB_APP_ID/);
});

test('the settings file is read from TUNNELBOT_SETTINGS and its problems are reported with the rest', () => {
  const config = loadConfig(
    { ...complete, TUNNELBOT_SETTINGS: '/etc/tunnelbot/settings.yaml' },
    undefined,
    () => 'environments:\n  - {name: prod, path: apps/prod, domain: example.com}\n',
  );
  assert.equal(config.settings.environments[0]!.name, 'prod');
  const unreadable = configError({ ...complete, TUNNELBOT_SETTINGS: '/nope.yaml' }, () => {
    throw new Error('ENOENT');
  });
  assert.match(unreadable.message, /TUNNELBOT_SETTINGS: cannot read \/nope\.yaml: ENOENT/);
  const invalid = configError({ ...complete, TUNNELBOT_SETTINGS: 's.yaml' }, () => 'environments: 3\n');
  assert.match(invalid.message, /^- s\.yaml: environments: /m);
});

test('doctor-style loading only requires what is asked for', () => {
  const config = loadConfig({ GITHUB_TOKEN: 'x' }, { slack: false, github: true, cloudflare: false });
  assert.equal(config.cloudflare.apiToken, '');
});

test('one round: invalid values, missing variables, the settings file and the repository are listed together', () => {
  const error = configError(
    {
      SLACK_BOT_TOKEN: 'not-a-bot-token',
      CLOUDFLARE_ACCOUNT_ID: 'short',
      PORT: 'eighty',
      TUNNELBOT_SETTINGS: 'tunnelbot.yaml',
    },
    () => 'namePrefix: Not_A_Label\nenvironments: 3\n',
  );
  const problems = error.details['problems'] as string[];
  const expected = [
    'SLACK_BOT_TOKEN: must be a bot token',
    'CLOUDFLARE_ACCOUNT_ID: must be the 32-character account id',
    'PORT: must be a port number between 1 and 65535',
    'SLACK_APP_TOKEN is not set',
    'No GitHub credentials',
    'CLOUDFLARE_API_TOKEN is not set',
    'tunnelbot.yaml: namePrefix: must be a DNS-1123 label',
    'tunnelbot.yaml: environments: ',
  ];
  assert.equal(problems.length, expected.length, error.message);
  expected.forEach((start, index) => assert.ok(problems[index]!.startsWith(start), problems[index]));
  assert.ok(
    !problems.some((problem) => problem.startsWith('CLOUDFLARE_ACCOUNT_ID is not set')),
    'invalid, not also missing',
  );
});

test('serve needs the repository in the same round as the rest', () => {
  const needs = { slack: false, github: true, cloudflare: true, repository: true };
  const settings = 'environments:\n  - {name: prod, path: apps/prod}\n';
  assert.throws(
    () => loadConfig({ ...complete, TUNNELBOT_SETTINGS: 's.yaml' }, needs, () => settings),
    (error: TunnelbotError) =>
      error.code === 'TB_ERR_CONFIG' && /^- s\.yaml: repository is not set/m.test(error.message),
  );
  assert.throws(
    () => loadConfig(complete, needs),
    (error: TunnelbotError) =>
      /TUNNELBOT_SETTINGS is not set, and the defaults name no GitOps repository/.test(error.message),
  );
  const named = `repository: {owner: acme, name: gitops}\n${settings}`;
  assert.equal(
    loadConfig({ ...complete, TUNNELBOT_SETTINGS: 's.yaml' }, needs, () => named).settingsFile,
    's.yaml',
  );
});

test('an empty optional variable counts as unset', () => {
  const config = loadConfig({
    ...complete,
    GITHUB_WEBHOOK_SECRET: '',
    FLUX_WEBHOOK_TOKEN: '',
    SLACK_API_URL: '',
    GITHUB_APP_ID: '',
    TUNNELBOT_SETTINGS: '',
    PORT: '',
  });
  assert.equal(config.github.webhookSecret, undefined);
  assert.equal(config.flux.webhookToken, undefined);
  assert.equal(config.settingsFile, undefined);
  assert.equal(config.port, 8080);
  assert.deepEqual(config.github.auth, { kind: 'token', token: 'ghp_exampletoken' });
  assert.match(
    configError({ ...complete, CLOUDFLARE_API_TOKEN: '' }).message,
    /CLOUDFLARE_API_TOKEN is not set/,
  );
});

test('a GitHub App key in quotes, with literal \\n, is accepted; an unreadable one is a key-format problem', () => {
  const { GITHUB_TOKEN: _, ...withoutToken } = complete;
  const app = { ...withoutToken, GITHUB_APP_ID: '123', GITHUB_APP_INSTALLATION_ID: '456' };
  for (const written of [`"${PEM.trimEnd().replace(/\n/g, '\\n')}"`, `'${PEM}'`, PEM]) {
    const config = loadConfig({ ...app, GITHUB_APP_PRIVATE_KEY: written });
    assert.ok(config.github.auth.kind === 'app');
    assert.equal(config.github.auth.privateKey.trim(), PEM.trim());
  }
  const broken = configError({
    ...app,
    GITHUB_APP_PRIVATE_KEY: '-----BEGIN RSA PRIVATE KEY-----\nbm90IGEga2V5\n-----END RSA PRIVATE KEY-----',
  });
  assert.match(broken.message, /GITHUB_APP_PRIVATE_KEY: not a readable PEM private key/);
  assert.ok(!broken.message.includes('bm90IGEga2V5'), 'the key is not echoed');
});
