import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { parseSlashCommand, type SlashCommand } from '../../src/core/slash-command.js';
import { ERROR_CATALOG, isTunnelbotError } from '../../src/errors.js';
import { FUZZ_SEED, sample, fuzzTexts } from '../helpers/fuzz.js';
import { figure } from '../helpers/figures.js';

/**
 * 10,000 random texts of /expose and /unexpose through the real parser. Every text either parses into fields that
 * are exactly what it said (checked against the text's own tokens, and stable when rendered back and parsed
 * again), or is refused with a TunnelbotError of a catalog code whose message names what was wrong.
 */

/** ASCII-only lower case: what a person's A-Z means; any other letter is not part of a DNS name. */
const ascii = (text: string) => text.replace(/[A-Z]/g, (letter) => letter.toLowerCase());

/** The text as the parser sees it: Slack's `<url|label>` and `<url>` links taken back to the typed text. */
function typedTokens(text: string): string[] {
  const unwrapped = text
    .replace(/<([^<>|]*)\|([^<>]*)>/g, '$2')
    .replace(/<(?:https?:\/\/|mailto:)?([^<>|]*)>/g, '$1');
  return unwrapped.split(/\s+/).filter(Boolean);
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Renders a parsed command back to the text a person would type for it. */
export function render(command: string, parsed: SlashCommand): string {
  switch (parsed.kind) {
    case 'help':
      return 'help';
    case 'open-form':
      return '';
    case 'list':
      return ['list', parsed.environment && `env=${parsed.environment}`].filter(Boolean).join(' ');
    case 'expose':
      return [
        parsed.app,
        String(parsed.port),
        parsed.hostname && `host=${parsed.hostname}`,
        parsed.environment && `env=${parsed.environment}`,
        parsed.namespace && `ns=${parsed.namespace}`,
        parsed.access && `access=${parsed.access}`,
      ]
        .filter(Boolean)
        .join(' ');
    case 'unexpose':
      assert.equal(command, '/unexpose');
      return [
        parsed.app,
        parsed.environment && `env=${parsed.environment}`,
        parsed.hostname && `host=${parsed.hostname}`,
      ]
        .filter(Boolean)
        .join(' ');
  }
}

/**
 * Checks that the fields of an accepted parse are exactly the tokens of the text: the positional words are the app
 * and the port, each option is one `key=value` token, and nothing in the text was dropped.
 */
export function assertRoundTrip(command: string, text: string, parsed: SlashCommand): void {
  const tokens = typedTokens(text);
  const options = new Map<string, string>();
  const positional: string[] = [];
  for (const token of tokens) {
    const eq = token.indexOf('=');
    if (eq === -1) positional.push(token);
    else options.set(ascii(token.slice(0, eq)), token.slice(eq + 1));
  }
  const host = (value: string | undefined) => value && ascii(value.trim()).replace(/\.$/, '');
  switch (parsed.kind) {
    case 'help':
      assert.ok(tokens.length === 0 || ascii(tokens[0]!) === 'help', 'help only when asked for');
      break;
    case 'open-form':
      assert.deepEqual(tokens, []);
      break;
    case 'list':
      assert.equal(ascii(tokens[0]!), 'list');
      assert.deepEqual(positional.slice(1), []);
      assert.equal(parsed.environment, options.get('env') && ascii(options.get('env')!));
      assert.equal(tokens.length, 1 + options.size);
      break;
    case 'expose':
    case 'unexpose': {
      const [app, port] = positional;
      assert.equal(parsed.app, ascii(app!), 'the app is the first word');
      assert.match(parsed.app, DNS_LABEL);
      if (parsed.kind === 'expose') {
        assert.match(port!, /^\d+$/);
        assert.equal(parsed.port, Number(port), 'the port is the second word');
        assert.equal(parsed.namespace, options.get('ns') && ascii(options.get('ns')!));
        assert.equal(parsed.access, options.get('access') && ascii(options.get('access')!));
        if (parsed.namespace) assert.match(parsed.namespace, DNS_LABEL);
      }
      assert.equal(positional.length, parsed.kind === 'expose' ? 2 : 1);
      assert.equal(parsed.hostname, host(options.get('host')));
      if (parsed.hostname) assert.ok(parsed.hostname.split('.').every((label) => DNS_LABEL.test(label)));
      assert.equal(parsed.environment, options.get('env') && ascii(options.get('env')!));
      const given = ['host', 'env', 'ns', 'access'].filter((key) => options.has(key)).length;
      assert.equal(options.size, given, 'no option was dropped');
      break;
    }
  }
  // Rendered back and parsed again, the command is the same.
  assert.deepEqual(parseSlashCommand(command, render(command, parsed)), parsed);
}

/**
 * A refusal names what was wrong: a quoted fragment of the text (a token, a value or an option key), the words it
 * counted, or, when something is missing, what to add.
 */
export function assertSpecificRefusal(command: string, text: string, error: unknown): string {
  assert.ok(isTunnelbotError(error), `a TunnelbotError, got ${String(error)}`);
  assert.ok(error.code in ERROR_CATALOG);
  assert.notEqual(error.code, 'TB_ERR_INTERNAL');
  assert.equal(error.kind, 'input', `${error.code} is an input error`);
  assert.doesNotMatch(error.message, /internal error|unexpected error|\n\s+at /i);
  assert.ok(error.fix.trim().length > 0, 'a fix');
  const tokens = typedTokens(text);
  const candidates = new Set<string>([command]);
  // A refusal may quote several words together (the ones `list` does not take), joined by one space whatever
  // spacing the text had between them.
  for (let from = 0; from < tokens.length; from++) {
    for (let to = from + 2; to <= tokens.length; to++) candidates.add(tokens.slice(from, to).join(' '));
  }
  for (const token of tokens) {
    const eq = token.indexOf('=');
    const parts =
      eq === -1
        ? [token]
        : [token, `${token.slice(0, eq)}=`, token.slice(eq + 1), ascii(token.slice(0, eq)) + token.slice(eq)];
    for (const part of parts) {
      candidates.add(part);
      candidates.add(ascii(part));
      candidates.add(part.trim());
    }
  }
  const namesToken = [...candidates].some((part) => part !== '' && error.message.includes(`"${part}"`));
  const missing = /^Say which app|^Expected (one app name|an app and a port), got \d+ words \(/.test(
    error.message,
  );
  const notACommand = error.message === `${command} is not a tunnelbot command.`;
  assert.ok(namesToken || missing || notACommand, `"${error.message}" names nothing of the text`);
  return error.code;
}

test('fuzz: 10,000 random /expose and /unexpose texts parse exactly or are refused specifically', (t) => {
  const cases = sample(fuzzTexts(), 10_000, FUZZ_SEED);
  let accepted = 0;
  const codes = new Map<string, number>();
  for (const [index, { command, text }] of cases.entries()) {
    const replay = `seed ${FUZZ_SEED}, case ${index}: ${command} ${JSON.stringify(text)}`;
    let parsed: SlashCommand;
    try {
      parsed = parseSlashCommand(command, text);
    } catch (error) {
      try {
        const code = assertSpecificRefusal(command, text, error);
        codes.set(code, (codes.get(code) ?? 0) + 1);
      } catch (failure) {
        assert.fail(`${replay}: ${(failure as Error).message}`);
      }
      continue;
    }
    accepted += 1;
    try {
      assertRoundTrip(command, text, parsed);
    } catch (failure) {
      assert.fail(`${replay} parsed as ${JSON.stringify(parsed)}: ${(failure as Error).message}`);
    }
  }
  const refused = cases.length - accepted;
  figure(t, 'slash-command fuzz: random texts through the parser', {
    texts: cases.length,
    accepted,
    refused,
    distinctCodes: codes.size,
  });
  t.diagnostic(
    `seed ${FUZZ_SEED}: ${cases.length} texts: ${accepted} accepted, ${refused} refused with ${codes.size} distinct codes ` +
      `(${[...codes].map(([code, count]) => `${code} ${count}`).join(', ')})`,
  );
  // The generator reaches both sides and every kind of refusal the parser has.
  assert.ok(accepted >= 1_000, `${accepted} accepted`);
  assert.ok(refused >= 1_000, `${refused} refused`);
  assert.deepEqual([...codes.keys()].sort(), [
    'TB_ERR_PLAN_INVALID_APP',
    'TB_ERR_PLAN_INVALID_HOSTNAME',
    'TB_ERR_PLAN_INVALID_NAMESPACE',
    'TB_ERR_PLAN_INVALID_PORT',
    'TB_ERR_PLAN_UNKNOWN_ENV',
    'TB_ERR_USAGE',
  ]);
});

test('fuzz: 2,000 well-formed commands, typed with random case, spacing and Slack links, parse to what they say', (t) => {
  const label = fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,14}[a-z0-9])?$/);
  const shout = (value: string) =>
    fc
      .array(fc.boolean(), { minLength: value.length, maxLength: value.length })
      .map((flags) => [...value].map((c, i) => (flags[i] ? c.toUpperCase() : c)).join(''));
  const model = fc.record(
    {
      app: label,
      port: fc.integer({ min: 1, max: 65535 }),
      hostname: fc.array(label, { minLength: 2, maxLength: 4 }).map((labels) => labels.join('.')),
      environment: label,
      namespace: label,
      access: fc.constant('public' as const),
    },
    { requiredKeys: ['app', 'port'] },
  );
  const typed = model.chain((m) =>
    fc
      .record({
        app: shout(m.app),
        host: m.hostname === undefined ? fc.constant(undefined) : shout(m.hostname),
        link: fc.constantFrom('plain', 'dot', 'label', 'bare'),
        order: fc.shuffledSubarray(['host', 'env', 'ns', 'access'] as const, { minLength: 4, maxLength: 4 }),
        gaps: fc.array(fc.constantFrom(' ', '  ', '\t', '\n', ' \u00a0'), { minLength: 8, maxLength: 8 }),
        keyCase: fc.boolean(),
      })
      .map(({ app, host, link, order, gaps, keyCase }) => {
        const value = {
          host:
            host &&
            { plain: host, dot: `${host}.`, label: `<http://${host}|${host}>`, bare: `<https://${host}>` }[
              link
            ],
          env: m.environment,
          ns: m.namespace,
          access: m.access,
        };
        const options = order
          .filter((key) => value[key] !== undefined)
          .map((key) => `${keyCase ? key.toUpperCase() : key}=${value[key]}`);
        const words = [app, String(m.port), ...options];
        return { model: m, text: gaps[0] + words.map((word, i) => word + gaps[i + 1]).join('') };
      }),
  );
  const cases = sample(typed, 2_000, FUZZ_SEED + 1);
  for (const [index, { model: m, text }] of cases.entries()) {
    const expected: SlashCommand = { kind: 'expose', ...m };
    assert.deepEqual(
      parseSlashCommand('/expose', text),
      expected,
      `seed ${FUZZ_SEED + 1}, case ${index}: ${JSON.stringify(text)}`,
    );
  }
  t.diagnostic(`seed ${FUZZ_SEED + 1}: ${cases.length} well-formed texts parsed to their model`);
});

// Found by the fuzzer: String#toLowerCase maps the Kelvin sign (U+212A) to "k", so a pasted homoglyph became
// another app, environment, namespace or hostname than the one shown in the text.
for (const [command, text, code] of [
  ['/expose', 'lin\u212Ading 9090', 'TB_ERR_PLAN_INVALID_APP'],
  ['/expose', 'linkding 9090 env=\u212Aube', 'TB_ERR_PLAN_UNKNOWN_ENV'],
  ['/expose', 'linkding 9090 ns=\u212Ainks', 'TB_ERR_PLAN_INVALID_NAMESPACE'],
  ['/expose', 'linkding 9090 host=lin\u212A.example.com', 'TB_ERR_PLAN_INVALID_HOSTNAME'],
  ['/unexpose', '\u212Aube', 'TB_ERR_PLAN_INVALID_APP'],
] as const) {
  test(`regression: the Kelvin sign is not the letter k (${command} ${text})`, () => {
    assert.throws(
      () => parseSlashCommand(command, text),
      (error) => isTunnelbotError(error) && error.code === code && error.message.includes('\u212A'),
    );
  });
}
