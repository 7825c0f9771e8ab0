import assert from 'node:assert/strict';
import { test } from 'node:test';
import { doctorCommand } from '../../../src/cli/commands/doctor.js';
import { captureIo } from '../../helpers/io.js';

async function doctor(env: NodeJS.ProcessEnv) {
  const io = captureIo('/');
  io.env = env;
  const code = await doctorCommand.run([], io);
  return { code, out: io.out };
}

test('doctor without a settings file says it uses the defaults, with no check mark', async () => {
  const { code, out } = await doctor({});
  assert.equal(code, 1);
  assert.match(out, /^✖ Settings: settings file not set: using defaults \(1 environment\(s\): default/m);
  assert.match(out, /fix: Point TUNNELBOT_SETTINGS at your settings file/);
  assert.doesNotMatch(out, /✔ Settings/);
});

test('doctor lists every invalid value as one checklist, like missing ones', async () => {
  const { code, out } = await doctor({
    GITHUB_TOKEN: 'ghp_x',
    CLOUDFLARE_ACCOUNT_ID: 'short',
    GITHUB_WEBHOOK_SECRET: 'too-short',
    PORT: '0',
    TUNNELBOT_SETTINGS: '/nonexistent/tunnelbot.yaml',
  });
  assert.equal(code, 1);
  const lines = out.split('\n').filter((line) => line.startsWith('✖ Configuration: '));
  assert.deepEqual(
    lines.map((line) => line.slice('✖ Configuration: '.length).split(':', 1)[0]),
    ['GITHUB_WEBHOOK_SECRET', 'CLOUDFLARE_ACCOUNT_ID', 'PORT', 'TUNNELBOT_SETTINGS'],
  );
  assert.match(out, /4 check\(s\) failed\.\n$/);
});
