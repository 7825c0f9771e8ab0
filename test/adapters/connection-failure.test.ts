import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connectionFailureReason } from '../../src/adapters/connection-failure.js';

/** Node's fetch: TypeError('fetch failed') whose cause carries the system call's code. */
function fetchFailure(code: string, message: string): Error {
  return new TypeError('fetch failed', { cause: Object.assign(new Error(message), { code }) });
}

test('the system call under a failed fetch names why there was no answer', () => {
  assert.equal(
    connectionFailureReason(fetchFailure('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:9')),
    'connection refused (connect ECONNREFUSED 127.0.0.1:9)',
  );
  assert.equal(
    connectionFailureReason(fetchFailure('ENOTFOUND', 'getaddrinfo ENOTFOUND api.github.invalid')),
    'DNS lookup failed (getaddrinfo ENOTFOUND api.github.invalid)',
  );
  assert.match(
    connectionFailureReason(fetchFailure('EAI_AGAIN', 'getaddrinfo EAI_AGAIN x')),
    /^DNS lookup failed/,
  );
  assert.match(
    connectionFailureReason(fetchFailure('UND_ERR_CONNECT_TIMEOUT', 'Connect Timeout')),
    /^timed out/,
  );
  assert.match(connectionFailureReason(fetchFailure('ECONNRESET', 'read ECONNRESET')), /^connection dropped/);
  assert.match(
    connectionFailureReason(fetchFailure('UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'unable to verify')),
    /^TLS failed/,
  );
  const deadline = new DOMException('The operation was aborted due to timeout', 'TimeoutError');
  assert.equal(
    connectionFailureReason(new Error('wrapped', { cause: deadline })),
    'timed out (The operation was aborted due to timeout)',
  );
});

test('an error without a known code gives its innermost message', () => {
  assert.equal(connectionFailureReason(new Error('outer', { cause: new Error('inner') })), 'inner');
  assert.equal(connectionFailureReason('plain'), 'plain');
});
