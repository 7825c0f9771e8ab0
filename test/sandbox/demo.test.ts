import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runDemo, type DemoPlaces } from '../../src/sandbox/demo.js';
import { captureLogs } from '../helpers/logs.js';

test('with keep, the demo leaves the fake GitHub answering and the repository on disk until keep resolves', async () => {
  const lines: string[] = [];
  let kept: DemoPlaces | undefined;
  await runDemo((line) => lines.push(line), captureLogs().logger, {
    keep: async (places) => {
      kept = places;
      const pulls = await fetch(`${places.githubUrl}/repos/acme/gitops/pulls?state=all`, {
        headers: { authorization: `Bearer ${places.token}` },
      });
      assert.equal(pulls.status, 200);
      assert.equal(((await pulls.json()) as unknown[]).length, 2, 'the expose and the unexpose PRs');
      const clone = join(mkdtempSync(join(tmpdir(), 'tunnelbot-demo-clone-')), 'gitops');
      execFileSync('git', ['clone', '-q', places.repository, clone]);
      assert.match(execFileSync('git', ['-C', clone, 'log', '--oneline'], { encoding: 'utf8' }), /linkding/);
    },
  });
  assert.ok(kept);
  const text = lines.join('\n');
  assert.match(text, /What to try next:\n.*the planner on your own Flux repository/);
  assert.match(text, /tunnelbot sandbox/);
  assert.match(text, new RegExp(`Kept running until Ctrl-C:\\n {2}fake GitHub API: ${kept.githubUrl}`));
  assert.ok(text.includes(`git clone ${kept.repository}`));
  assert.equal(existsSync(kept.repository), false, 'removed once keep resolved');
});
