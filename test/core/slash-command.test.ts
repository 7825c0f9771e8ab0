import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  EXPOSE_USAGE,
  parseSlashCommand,
  UNEXPOSE_USAGE,
  type SlashCommand,
} from '../../src/core/slash-command.js';
import type { TunnelbotError } from '../../src/errors.js';
import { isTunnelbotError } from '../../src/errors.js';

function refused(command: string, text: string): TunnelbotError {
  try {
    parseSlashCommand(command, text);
  } catch (error) {
    assert.ok(isTunnelbotError(error), `a TunnelbotError, got ${String(error)}`);
    return error;
  }
  assert.fail(`${command} ${text} was accepted`);
}

const parsed: { command: string; text: string; expected: SlashCommand }[] = [
  { command: '/expose', text: '', expected: { kind: 'open-form' } },
  { command: '/expose', text: '   ', expected: { kind: 'open-form' } },
  { command: '/expose', text: 'help', expected: { kind: 'help', command: '/expose' } },
  { command: '/expose', text: 'HELP', expected: { kind: 'help', command: '/expose' } },
  { command: '/unexpose', text: '', expected: { kind: 'help', command: '/unexpose' } },
  { command: '/unexpose', text: 'Help', expected: { kind: 'help', command: '/unexpose' } },
  { command: '/expose', text: 'list', expected: { kind: 'list' } },
  { command: '/expose', text: 'LIST env=Staging', expected: { kind: 'list', environment: 'staging' } },
  {
    command: '/expose',
    text: 'linkding 9090',
    expected: { kind: 'expose', app: 'linkding', port: 9090 },
  },
  {
    command: '/expose',
    text: '  LinkDing   9090  host=Links.Example.COM.  env=STAGING ns=Apps ',
    expected: {
      kind: 'expose',
      app: 'linkding',
      port: 9090,
      hostname: 'links.example.com',
      environment: 'staging',
      namespace: 'apps',
    },
  },
  {
    command: '/expose',
    text: 'linkding 9090 HOST=links.example.com Env=prod',
    expected: {
      kind: 'expose',
      app: 'linkding',
      port: 9090,
      hostname: 'links.example.com',
      environment: 'prod',
    },
  },
  {
    command: '/expose',
    text: 'linkding 9090 host=<http://links.example.com|links.example.com>',
    expected: { kind: 'expose', app: 'linkding', port: 9090, hostname: 'links.example.com' },
  },
  {
    command: '/expose',
    text: 'linkding 9090 host=<http://links.example.com>',
    expected: { kind: 'expose', app: 'linkding', port: 9090, hostname: 'links.example.com' },
  },
  {
    command: '/expose',
    text: 'linkding 9090 host=<https://links.example.com|links.example.com>',
    expected: { kind: 'expose', app: 'linkding', port: 9090, hostname: 'links.example.com' },
  },
  {
    command: '/unexpose',
    text: 'linkding',
    expected: { kind: 'unexpose', app: 'linkding' },
  },
  {
    command: '/unexpose',
    text: 'LinkDing env=Staging host=<http://links.example.com|links.example.com>',
    expected: { kind: 'unexpose', app: 'linkding', environment: 'staging', hostname: 'links.example.com' },
  },
];

for (const { command, text, expected } of parsed) {
  test(`parseSlashCommand: ${command} "${text}"`, () => {
    assert.deepEqual(parseSlashCommand(command, text), expected);
  });
}

const errors: { command: string; text: string; code: string; message: RegExp; fix?: RegExp }[] = [
  {
    command: '/expose',
    text: 'linkding 9090 port=80',
    code: 'TB_ERR_USAGE',
    message: /^Unknown option "port=": this command takes host=, env=, ns=, access=\.$/,
    fix: /\/expose APP PORT/,
  },
  {
    command: '/unexpose',
    text: 'linkding ns=apps',
    code: 'TB_ERR_USAGE',
    message: /^Unknown option "ns=": this command takes env=, host=\.$/,
    fix: /\/unexpose APP/,
  },
  {
    command: '/expose',
    text: 'list host=x.example.com',
    code: 'TB_ERR_USAGE',
    message: /Unknown option "host=": this command takes env=\./,
    fix: /\/expose list \[env=NAME\]/,
  },
  {
    command: '/expose',
    text: 'linkding 9090 host=',
    code: 'TB_ERR_USAGE',
    message: /^"host=" needs a value, e\.g\. host=app\.example\.com\.$/,
  },
  {
    command: '/expose',
    text: 'linkding 9090 ns=',
    code: 'TB_ERR_USAGE',
    message: /"ns=" needs a value, e\.g\. ns=apps/,
  },
  {
    command: '/unexpose',
    text: 'linkding env=',
    code: 'TB_ERR_USAGE',
    message: /"env=" needs a value, e\.g\. env=staging/,
  },
  {
    command: '/expose',
    text: 'linkding 9090 env=a env=b',
    code: 'TB_ERR_USAGE',
    message: /^"env=" is given twice; give it once\.$/,
  },
  {
    command: '/expose',
    text: 'linkding 9090 host=a.example.com HOST=b.example.com',
    code: 'TB_ERR_USAGE',
    message: /"host=" is given twice/,
  },
  {
    command: '/expose',
    text: 'linkding host=a.example.com 9090',
    code: 'TB_ERR_USAGE',
    message: /^"9090" comes after the key=value options; put it before them\.$/,
  },
  {
    command: '/expose',
    text: 'linkding',
    code: 'TB_ERR_USAGE',
    message: /Say which app and which port, e\.g\. `\/expose linkding 9090`/,
  },
  {
    command: '/expose',
    text: 'env=staging',
    code: 'TB_ERR_USAGE',
    message: /Say which app and which port, e\.g\. `\/expose linkding 9090`/,
  },
  {
    command: '/expose',
    text: 'linkding 9090 extra',
    code: 'TB_ERR_USAGE',
    message: /^Expected an app and a port, got 3 words \(linkding 9090 extra\)\.$/,
  },
  {
    command: '/unexpose',
    text: 'env=staging',
    code: 'TB_ERR_USAGE',
    message: /^Say which app to unexpose\.$/,
  },
  {
    command: '/unexpose',
    text: 'linkding other',
    code: 'TB_ERR_USAGE',
    message: /^Expected one app name, got 2 words \(linkding other\)\.$/,
  },
  {
    command: '/expose',
    text: 'list staging',
    code: 'TB_ERR_USAGE',
    message: /"\/expose list" takes only env=NAME/,
  },
  {
    command: '/tunnel',
    text: 'linkding 9090',
    code: 'TB_ERR_USAGE',
    message: /\/tunnel is not a tunnelbot command/,
  },
  {
    command: '/expose',
    text: 'linkding 0',
    code: 'TB_ERR_PLAN_INVALID_PORT',
    message: /"0" is not a port: use a number from 1 to 65535/,
  },
  {
    command: '/expose',
    text: 'linkding 65536',
    code: 'TB_ERR_PLAN_INVALID_PORT',
    message: /"65536" is not a port/,
  },
  {
    command: '/expose',
    text: 'linkding http',
    code: 'TB_ERR_PLAN_INVALID_PORT',
    message: /"http" is not a port/,
  },
  {
    command: '/expose',
    text: 'linkding -1',
    code: 'TB_ERR_PLAN_INVALID_PORT',
    message: /"-1" is not a port/,
  },
  {
    command: '/expose',
    text: 'link_ding 9090',
    code: 'TB_ERR_PLAN_INVALID_APP',
    message: /"link_ding" is not a valid app name: it must be lowercase letters, digits and "-"/,
  },
  {
    command: '/expose',
    text: `${'a'.repeat(52)} 9090`,
    code: 'TB_ERR_PLAN_INVALID_APP',
    message: /is 52 characters long \(at most 51\)/,
  },
  {
    command: '/unexpose',
    text: '-linkding',
    code: 'TB_ERR_PLAN_INVALID_APP',
    message: /"-linkding" is not a valid app name/,
  },
  {
    command: '/expose',
    text: 'linkding 9090 ns=my_apps',
    code: 'TB_ERR_PLAN_INVALID_NAMESPACE',
    message: /"my_apps" is not a valid Kubernetes namespace/,
  },
  {
    command: '/expose',
    text: 'linkding 9090 host=https://links.example.com/path',
    code: 'TB_ERR_PLAN_INVALID_HOSTNAME',
    message: /must not carry a scheme, port, path or spaces/,
  },
  {
    command: '/expose',
    text: 'linkding 9090 host=localhost',
    code: 'TB_ERR_PLAN_INVALID_HOSTNAME',
    message: /"localhost" is not a valid DNS hostname/,
  },
  {
    command: '/unexpose',
    text: 'linkding host=bad_name.example.com',
    code: 'TB_ERR_PLAN_INVALID_HOSTNAME',
    message: /"bad_name\.example\.com" is not a valid DNS hostname/,
  },
  {
    command: '/expose',
    text: 'linkding 9090 env=prod_1',
    code: 'TB_ERR_PLAN_UNKNOWN_ENV',
    message: /^"prod_1" is not an environment name\.$/,
    fix: /`\/expose list` shows them/,
  },
  {
    command: '/expose',
    text: 'list env=-x',
    code: 'TB_ERR_PLAN_UNKNOWN_ENV',
    message: /"-x" is not an environment name/,
  },
  {
    command: '/unexpose',
    text: 'linkding env=a.b',
    code: 'TB_ERR_PLAN_UNKNOWN_ENV',
    message: /"a\.b" is not an environment name/,
  },
];

for (const { command, text, code, message, fix } of errors) {
  test(`parseSlashCommand refuses ${command} "${text}" with ${code}`, () => {
    const error = refused(command, text);
    assert.equal(error.code, code);
    assert.match(error.message, message);
    assert.ok(error.fix.length > 0);
    if (fix) assert.match(error.fix, fix);
  });
}

test('usage errors point at the usage of the command typed', () => {
  assert.match(refused('/expose', 'linkding').fix, new RegExp(EXPOSE_USAGE.replace(/[[\]]/g, '\\$&')));
  assert.match(refused('/unexpose', 'a b').fix, new RegExp(UNEXPOSE_USAGE.replace(/[[\]]/g, '\\$&')));
});

test('property: 10,000 random texts parse or throw a TunnelbotError with a message and a fix', () => {
  const fragment = fc.oneof(
    fc.constantFrom(
      'list',
      'help',
      'linkding',
      '9090',
      'host=',
      'env=',
      'ns=',
      '=',
      'host=links.example.com',
      '<http://x.com|x.com>',
      '<https://a.example.com>',
      '<mailto:a@b.c|a@b.c>',
      '<!channel>',
      '<',
      '>',
      '|',
      ' ',
      '\t',
      '\n',
      'HOST=A.EXAMPLE.COM',
      '65536',
      '-',
      '.',
      '🙂',
    ),
    fc.string({ maxLength: 12 }),
    fc.string({ unit: 'binary', maxLength: 8 }),
  );
  const text = fc.array(fragment, { maxLength: 8 }).map((parts) => parts.join(' '));
  const command = fc.constantFrom('/expose', '/unexpose', '/Expose', '/other');
  fc.assert(
    fc.property(command, text, (name, input) => {
      try {
        const result = parseSlashCommand(name, input);
        assert.ok(['help', 'open-form', 'list', 'expose', 'unexpose'].includes(result.kind));
      } catch (error) {
        assert.ok(isTunnelbotError(error), `threw ${String(error)} for ${JSON.stringify(input)}`);
        assert.ok(error.message.trim().length > 0, 'a message');
        assert.ok(error.fix.trim().length > 0, 'a fix');
      }
    }),
    { numRuns: 10_000 },
  );
});
