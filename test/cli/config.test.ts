import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '../../src/config.js';
import { TunnelbotError } from '../../src/errors.js';

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
    GITHUB_APP_PRIVATE_KEY: '-----BEGIN RSA PRIVATE KEY-----\\nabc\\n-----END RSA PRIVATE KEY-----',
    GITHUB_APP_INSTALLATION_ID: '456',
  });
  assert.equal(app.github.auth.kind, 'app');
  assert.ok(app.github.auth.kind === 'app' && app.github.auth.privateKey.includes('\nabc\n'));
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
  assert.match(invalid.message, /s\.yaml is invalid/);
});

test('doctor-style loading only requires what is asked for', () => {
  const config = loadConfig({ GITHUB_TOKEN: 'x' }, { slack: false, github: true, cloudflare: false });
  assert.equal(config.cloudflare.apiToken, '');
});
