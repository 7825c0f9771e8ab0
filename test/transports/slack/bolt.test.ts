import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as Bolt from '@slack/bolt';
import * as parts from '../../../src/transports/slack/bolt.js';

test('the Bolt parts tunnelbot imports from their own modules are the very objects @slack/bolt exports', () => {
  assert.deepEqual(Object.keys(parts).sort(), [
    'App',
    'LogLevel',
    'ReceiverMultipleAckError',
    'SocketModeReceiver',
    'verifySlackRequest',
  ]);
  for (const [name, value] of Object.entries(parts)) {
    assert.ok(value !== undefined, `${name} is defined`);
    assert.equal(value, Bolt[name as keyof typeof parts], `${name} is @slack/bolt's ${name}`);
  }
});
