import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { commands } from '../src/cli/commands/index.js';
import { ERROR_CATALOG } from '../src/errors.js';

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'sandbox' ? [] : sources(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

// `<environment path>` or `<your age key file>` in a fix is text a person has to replace before it works.
const PLACEHOLDER = /<(?!@|!subteam|https?:)[a-z][a-z .-]*>/i;

test('no fix in the catalog holds a literal placeholder', () => {
  for (const [code, entry] of Object.entries(ERROR_CATALOG)) {
    assert.doesNotMatch(entry.fix, PLACEHOLDER, code);
  }
});

test('every `tunnelbot COMMAND` a message, fix or usage names is a command that exists', () => {
  const known = new Set(commands.map((command) => command.name));
  const named = new Map<string, string>();
  for (const file of sources('src')) {
    for (const match of readFileSync(file, 'utf8').matchAll(/\\?`tunnelbot ([a-z][a-z-]*)/g)) {
      named.set(match[1]!, file);
    }
  }
  assert.ok(named.size > 5, 'the scan finds the command names');
  for (const [name, file] of named) assert.ok(known.has(name), `${file} names \`tunnelbot ${name}\``);
});
