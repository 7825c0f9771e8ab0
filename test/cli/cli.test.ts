import assert from 'node:assert/strict';
import { test } from 'node:test';
import { main } from '../../src/cli.js';
import { captureIo } from '../helpers/io.js';
import { runRecordingModules } from '../helpers/modules.js';

test('--help lists the commands and exits 0', async () => {
  const io = captureIo();
  assert.equal(await main(['--help'], io), 0);
  assert.match(io.out, /Usage: tunnelbot <command>/);
});

test('an unknown command exits 1 with a message naming it', async () => {
  const io = captureIo();
  assert.equal(await main(['frobnicate'], io), 1);
  assert.match(io.err, /unknown command "frobnicate"/);
});

test('--help loads no command module: the registry names them and loads one only when it runs', async () => {
  const help = await runRecordingModules(['--help'], {});
  assert.equal(help.code, 0, help.stderr);
  assert.match(help.stdout, /expose +Ask for an app to be exposed/);
  const ours = help.modules.filter((url) => url.startsWith('src/'));
  assert.ok(ours.includes('src/cli.ts') && ours.includes('src/cli/commands/index.ts'), ours.join('\n'));
  assert.deepEqual(
    ours.filter((url) => url.startsWith('src/cli/commands/') && url !== 'src/cli/commands/index.ts'),
    [],
  );
  assert.deepEqual(
    help.modules.filter((url) => url.includes('/node_modules/') && !url.includes('/node_modules/tsx/')),
    [],
    'no dependency is loaded for --help',
  );

  const validate = await runRecordingModules(['validate', '--help'], {});
  assert.equal(validate.code, 0, validate.stderr);
  const commands = validate.modules.filter(
    (url) => url.startsWith('src/cli/commands/') && url !== 'src/cli/commands/index.ts',
  );
  assert.deepEqual(commands, ['src/cli/commands/validate.ts']);
});
