import assert from 'node:assert/strict';
import { test } from 'node:test';
import { main } from '../../src/cli.js';
import { captureIo } from '../helpers/io.js';

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
