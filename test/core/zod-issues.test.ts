import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import { describeIssues } from '../../src/core/zod-issues.js';
import { parseSettings } from '../../src/core/settings.js';
import { TunnelbotError } from '../../src/errors.js';

test("zod's own wording becomes what the value must be; a schema's own message is kept", () => {
  const schema = z
    .object({
      owner: z.string().min(1),
      name: z.string().min(3),
      port: z.number().int().min(1).max(65535),
      mode: z.enum(['per-app', 'shared']),
      zone: z.string().regex(/^[a-z.]+$/, 'must be a DNS name such as example.com'),
      url: z.string().url(),
      list: z.array(z.string()).min(1),
      flag: z.boolean(),
      needed: z.string(),
    })
    .strict();
  const result = schema.safeParse({
    owner: '',
    name: 'ab',
    port: 70000,
    mode: 'both',
    zone: 'Example.COM',
    url: 'nope',
    list: [],
    flag: 'yes',
    typo: 1,
  });
  assert.ok(!result.success);
  assert.deepEqual(describeIssues(result.error.issues, '(top level)'), [
    'owner: must not be empty',
    'name: must have at least 3 characters',
    'port: must be at most 65535',
    'mode: must be one of "per-app", "shared"',
    'zone: must be a DNS name such as example.com',
    'url: must be a valid url',
    'list: must list at least one item',
    'flag: must be true or false, not a string',
    'needed: is required',
    '(top level): has unknown key "typo" (a typo?)',
  ]);
});

test('a settings file with an empty repository owner says so in words, not in zod text', () => {
  assert.throws(
    () => parseSettings('repository: {owner: "", name: gitops}\n', 'tunnelbot.yaml'),
    (error: unknown) =>
      error instanceof TunnelbotError &&
      error.message.includes('- repository.owner: must not be empty.') &&
      !/Too small|Invalid input|expected string/.test(error.message),
  );
});
