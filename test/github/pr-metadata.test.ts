import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  branchFor,
  branchName,
  initBranchName,
  parsePrBlock,
  parsePrMetadata,
  renderPrBody,
  type PrMetadata,
} from '../../src/core/pr-metadata.js';
import { TunnelbotError } from '../../src/errors.js';
import { metadataFor } from '../helpers/github.js';

function rejectsWith(body: string, pattern: RegExp) {
  assert.throws(
    () => parsePrMetadata(body),
    (error: unknown) =>
      error instanceof TunnelbotError &&
      error.code === 'TB_ERR_GITHUB_PR_METADATA' &&
      pattern.test(error.message),
  );
}

test('the body ends with one hidden block that parses back to the same record', () => {
  const metadata = metadataFor('linkding');
  const body = renderPrBody('Expose **linkding** at https://linkding.example.com', metadata);
  assert.match(body, /^Expose \*\*linkding\*\*/);
  assert.match(body, /\n\n<!-- tunnelbot:\{.*\} -->\n$/);
  assert.deepEqual(parsePrMetadata(body), metadata);
});

test('a body without a block is not a tunnelbot PR', () => {
  assert.equal(parsePrMetadata('Bump chart versions'), undefined);
  assert.equal(parsePrMetadata(null), undefined);
  assert.equal(parsePrMetadata(''), undefined);
});

test('no string value can close the comment early or smuggle a second block', () => {
  fc.assert(
    fc.property(fc.string({ minLength: 1, maxLength: 200 }), (name) => {
      const metadata = metadataFor('app', { requester: { slackUserId: 'U1', name } });
      const body = renderPrBody(`summary <!-- tunnelbot:{"x":1} --> ${name}`, metadata);
      assert.equal(
        body.split('<!-- tunnelbot:').length,
        2,
        'exactly one block opener, even if the summary quotes one',
      );
      const block = body.slice(body.indexOf('<!-- tunnelbot:'));
      assert.equal(block.match(/-->/g)?.length, 1, 'the block closes exactly once, at its end');
      assert.deepEqual(parsePrMetadata(body), metadata);
    }),
  );
  const sneaky = metadataFor('app', {
    requester: { slackUserId: 'U1', name: 'x --> <!-- tunnelbot:{} -->' },
  });
  const body = renderPrBody('ok', sneaky);
  assert.equal(body.match(/-->/g)?.length, 1);
  assert.deepEqual(parsePrMetadata(body), sneaky);
});

test('tampered blocks are rejected with the field that is wrong', () => {
  const body = renderPrBody('s', metadataFor('linkding'));
  rejectsWith(body.replace('"port":9090', '"port":70000'), /port/);
  rejectsWith(body.replace('"action":"expose"', '"action":"delete-everything"'), /action/);
  rejectsWith(body.replace('"version":1', '"version":2'), /version/);
  rejectsWith(body.replace('"app":"linkding"', '"app":"Link Ding"'), /app/);
  rejectsWith(body.replace('{"version"', '{"extra":true,"version"'), /extra|unrecognized/i);
  rejectsWith(body.replace('"version":1,', '"version":1'), /not JSON/);
  rejectsWith(`${body}\n${body}`, /2 tunnelbot blocks/);
});

test('rendering refuses an invalid record instead of writing it', () => {
  const bad = { ...metadataFor('linkding'), hostname: 'not a host' } as PrMetadata;
  assert.throws(() => renderPrBody('s', bad), /hostname/);
});

test('branch names follow the contract and refuse names that are not DNS labels', () => {
  assert.equal(branchName('expose', 'home', 'linkding'), 'tunnelbot/expose-home-linkding');
  assert.equal(branchName('unexpose', 'prod', 'grafana'), 'tunnelbot/unexpose-prod-grafana');
  assert.throws(() => branchName('expose', 'home', '../main'), /DNS labels/);
  assert.throws(() => branchName('expose', 'Home', 'app'), /DNS labels/);
});

test('an init block round-trips as a block but is no request; request blocks parse as before', () => {
  const body = renderPrBody('Ready the repository', { version: 1, action: 'init', environment: 'staging' });
  assert.deepEqual(parsePrBlock(body), { version: 1, action: 'init', environment: 'staging' });
  assert.equal(parsePrMetadata(body), undefined);
  assert.equal(branchFor({ version: 1, action: 'init', environment: 'staging' }), 'tunnelbot/init-staging');
  assert.throws(
    () => parsePrBlock('<!-- tunnelbot:{"version":1,"action":"init","environment":"staging","app":"x"} -->'),
    /TB_ERR_GITHUB_PR_METADATA|invalid/,
  );
  const request = metadataFor('linkding');
  assert.deepEqual(parsePrBlock(renderPrBody('x', request)), request);
  assert.equal(initBranchName('staging'), 'tunnelbot/init-staging');
});

test('blocks back to back are two blocks; an opening without a close is no block', () => {
  const body = renderPrBody('s', metadataFor('linkding'));
  const block = body.slice(body.indexOf('<!-- tunnelbot:')).trim();
  rejectsWith(`${block}${block}`, /2 tunnelbot blocks/);
  assert.equal(parsePrMetadata('text <!-- tunnelbot:{"version":1}'), undefined);
});
