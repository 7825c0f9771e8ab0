import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Octokit } from 'octokit';

/**
 * With a wrong moduleResolution octokit's types silently become `any` and every response field type-checks. These
 * assignments must stay compile errors: if the types collapse, the `@ts-expect-error` lines fail `npm test`'s tsc.
 */
export function typeCheckedShapes(octokit: Octokit) {
  return async () => {
    const pull = await octokit.rest.pulls.get({ owner: 'o', repo: 'r', pull_number: 1 });
    // @ts-expect-error a title is a string
    const title: number = pull.data.title;
    const merge = await octokit.rest.pulls.merge({ owner: 'o', repo: 'r', pull_number: 1 });
    // @ts-expect-error a merge SHA is a string
    const sha: boolean = merge.data.sha;
    return [title, sha];
  };
}

test('octokit response types are real types, not any (checked by tsc)', () => {
  assert.equal(typeof typeCheckedShapes, 'function');
});
