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
    // Modules inside the checkout are recorded relative to it (`node_modules/yaml/dist/index.js`).
    help.modules.filter((url) => url.startsWith('node_modules/')),
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

test("an error is prefixed once with the command's name, from the dispatcher", async () => {
  for (const [argv, message] of [
    [['plan', 'expose', 'linkding'], '--repo DIR is required.'],
    [['validate', '--bogus'], "Unknown option '--bogus'"],
    [['init'], '--age'],
    [['rule', 'config.yaml'], 'expected two arguments'],
  ] as const) {
    const io = captureIo();
    assert.equal(await main([...argv], io), 1);
    assert.ok(io.err.startsWith(`tunnelbot ${argv[0]}: `), io.err);
    assert.ok(io.err.includes(message), io.err);
    const firstLine = io.err.split('\n')[0]!;
    assert.equal(
      firstLine.split('tunnelbot ').length,
      2,
      `one prefix and no other "tunnelbot ": ${firstLine}`,
    );
  }
});
