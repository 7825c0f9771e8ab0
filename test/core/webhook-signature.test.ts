import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { describe, test } from 'node:test';
import { verifyFluxSignature, verifyGitHubSignature } from '../../src/core/webhook-signature.js';
import { fluxSignature, fluxVector } from '../helpers/flux.js';

const body = fluxVector('real-nc-forwarder-test-body.json');
const vector = JSON.parse(fluxVector('real-nc-forwarder-test-hmac-vector.json')) as {
  body: string;
  token: string;
  x_signature: string;
};
const raw = Buffer.from(body, 'utf8');

describe('Flux X-Signature against notification-controller’s own test vector', () => {
  test('the vector files are the documented bytes', () => {
    assert.equal(raw.length, 295);
    assert.equal(
      createHash('sha256').update(raw).digest('hex'),
      'e374fdb7f86cc9f282a6d371bd889cdd340dce5410abddf1383a38c7053758d3',
    );
    assert.equal(vector.body, body);
  });

  test('the real signature verifies over the raw body', () => {
    assert.equal(verifyFluxSignature(vector.token, raw, vector.x_signature), true);
  });

  test('uppercase hex is accepted (Flux sends lowercase; hex case carries no meaning)', () => {
    const upper = `sha256=${vector.x_signature.slice('sha256='.length).toUpperCase()}`;
    assert.equal(verifyFluxSignature(vector.token, raw, upper), true);
  });

  test('a wrong key fails', () => {
    assert.equal(
      verifyFluxSignature('7152fed34dd6149a7c75a276c510da27cb6f82b1', raw, vector.x_signature),
      false,
    );
  });

  test('the key is not trimmed: a trailing newline in the token is part of the key', () => {
    assert.equal(verifyFluxSignature(`${vector.token}\n`, raw, vector.x_signature), false);
    const withNewline = fluxSignature(`${vector.token}\n`, raw);
    assert.equal(verifyFluxSignature(`${vector.token}\n`, raw, withNewline), true);
    assert.equal(verifyFluxSignature(vector.token, raw, withNewline), false);
  });

  test('a body with one byte changed fails, at every position', () => {
    for (let index = 0; index < raw.length; index += 1) {
      const changed = Buffer.from(raw);
      changed[index] = changed[index]! ^ 0x01;
      assert.equal(verifyFluxSignature(vector.token, changed, vector.x_signature), false, `byte ${index}`);
    }
  });

  test('a missing or empty header fails', () => {
    assert.equal(verifyFluxSignature(vector.token, raw, undefined), false);
    assert.equal(verifyFluxSignature(vector.token, raw, ''), false);
  });

  test('re-serialised JSON fails: pretty-printed, or with a trailing newline', () => {
    const pretty = Buffer.from(JSON.stringify(JSON.parse(body), null, 2));
    assert.equal(verifyFluxSignature(vector.token, pretty, vector.x_signature), false);
    assert.equal(verifyFluxSignature(vector.token, Buffer.from(`${body}\n`), vector.x_signature), false);
  });

  test('sha224, sha384 and sha512 are accepted as Flux’s documented verifier does; others are not', () => {
    for (const algorithm of ['sha224', 'sha256', 'sha384', 'sha512']) {
      assert.equal(verifyFluxSignature(vector.token, raw, fluxSignature(vector.token, raw, algorithm)), true);
    }
    for (const algorithm of ['sha1', 'md5', 'sha3-256']) {
      assert.equal(
        verifyFluxSignature(vector.token, raw, fluxSignature(vector.token, raw, algorithm)),
        false,
      );
    }
    // The algorithm name is matched exactly, as the Go verifier's switch does.
    assert.equal(
      verifyFluxSignature(vector.token, raw, vector.x_signature.replace('sha256', 'SHA256')),
      false,
    );
  });

  test('malformed headers fail: no algorithm, truncated, extended, non-hex, a sha224 digest under sha256', () => {
    const hex = vector.x_signature.slice('sha256='.length);
    for (const header of [
      hex,
      `=${hex}`,
      `sha256=${hex.slice(0, -2)}`,
      `sha256=${hex}00`,
      `sha256=${hex.slice(0, -1)}g`,
      `sha256 =${hex}`,
      `sha256=${hex} `,
      fluxSignature(vector.token, raw, 'sha224').replace('sha224', 'sha256'),
    ]) {
      assert.equal(verifyFluxSignature(vector.token, raw, header), false, header);
    }
  });

  test('an empty token verifies nothing, as notification-controller refuses to sign with an empty key', () => {
    assert.equal(verifyFluxSignature('', raw, fluxSignature('', raw)), false);
  });
});

describe('GitHub X-Hub-Signature-256', () => {
  const secret = 'whsec-test-0123456789-secret-value';
  const sign = (raw: string) => `sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`;

  test('verifyGitHubSignature accepts only the exact HMAC', () => {
    const body = Buffer.from('{"a":1}');
    assert.equal(verifyGitHubSignature(secret, body, sign('{"a":1}')), true);
    assert.equal(verifyGitHubSignature(secret, body, sign('{"a":2}')), false);
    assert.equal(verifyGitHubSignature(secret, body, undefined), false);
    assert.equal(verifyGitHubSignature(secret, body, `${sign('{"a":1}')}00`), false);
  });
});
