import fc from 'fast-check';

/**
 * Shared pieces of the fuzz tests: one seed for every run (FUZZ_SEED in the environment replays another), a
 * deterministic sample of an arbitrary, and the hostile fragments a person or a forged payload can type.
 * fast-check is already a devDependency (engines: node >= 12.17) and gives seeded, replayable generation.
 */
export const FUZZ_SEED = Number(process.env.FUZZ_SEED ?? 20261203);

/** `count` values of `arbitrary`, the same for the same seed. */
export function sample<T>(arbitrary: fc.Arbitrary<T>, count: number, seed = FUZZ_SEED): T[] {
  return fc.sample(arbitrary, { numRuns: count, seed });
}

/** Strings no form or command should choke on: control characters, homoglyphs, RTL marks, huge, empty. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    '\u0007bell',
    '\u001b[31mred',
    '\r\n',
    '\u202Eevil',
    '\u200Bzero-width',
    '\uFEFFbom',
    'lin\u212Ading',
    '\u212Aube',
    'ſtaging',
    'İstanbul',
    '🙂',
    '\uD800',
    '<script>',
    '"quoted"',
    '`code`',
    '*bold*',
    '<!channel>',
    '<@U0ALICE>',
    '${jndi:ldap://x}',
    '../../etc/passwd',
    'a'.repeat(52),
    'a'.repeat(64),
    `${'a'.repeat(63)}.example.com`,
    `${'a.'.repeat(130)}com`,
    'x'.repeat(5_000),
  ),
  fc.string({ maxLength: 16 }),
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.string({ unit: 'grapheme', maxLength: 6 }),
);

const validApp = fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,12}[a-z0-9])?$/);
const validHost = fc
  .array(fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,8}[a-z0-9])?$/), { minLength: 2, maxLength: 4 })
  .map((labels) => labels.join('.'));

/** App names, good and bad. */
export const appToken: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('linkding', 'whoami', 'LinkDing', 'podinfo', 'grafana') },
  { weight: 4, arbitrary: validApp },
  { weight: 2, arbitrary: hostileString },
  { weight: 1, arbitrary: fc.constantFrom('-x', 'x-', 'link_ding', 'a.b', 'list', 'help', 'LIST') },
);

/** Ports, good and bad. */
export const portToken: fc.Arbitrary<string> = fc.oneof(
  { weight: 5, arbitrary: fc.integer({ min: 1, max: 65535 }).map(String) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '0',
      '65536',
      '-1',
      '08',
      '9090.0',
      '1e3',
      '0x50',
      '٩٠٩٠',
      '９０９０',
      '99999999999999999999',
      'http',
    ),
  },
  { weight: 1, arbitrary: hostileString },
);

const optionValue: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: validHost },
  { weight: 3, arbitrary: validApp },
  { weight: 2, arbitrary: fc.constantFrom('staging', 'STAGING', 'public', 'PUBLIC', 'private', 'prod_1') },
  { weight: 1, arbitrary: fc.constantFrom('https://x.example.com/p', 'x.example.com:443', 'localhost', '=') },
  { weight: 2, arbitrary: hostileString },
);

const optionKey = (keys: readonly string[]) =>
  fc.oneof(
    { weight: 12, arbitrary: fc.constantFrom(...keys) },
    { weight: 1, arbitrary: fc.constantFrom('HOST', 'Env', 'NS', 'Access', 'port', 'app', '', 'h\u212Ast') },
    { weight: 1, arbitrary: hostileString.filter((key) => !/[\s=]/.test(key)) },
  );

/** `key=value`, the value sometimes a Slack link as Slack rewrites typed hostnames. */
export const optionToken = (
  keys: readonly string[] = ['host', 'env', 'ns', 'access'],
): fc.Arbitrary<string> =>
  fc
    .tuple(
      optionKey(keys),
      optionValue,
      fc.constantFrom(...Array<'plain'>(12).fill('plain'), 'link', 'bare', 'empty', 'broken'),
    )
    .map(([key, value, form]) => {
      switch (form) {
        case 'link':
          return `${key}=<http://${value}|${value}>`;
        case 'bare':
          return `${key}=<https://${value}>`;
        case 'empty':
          return `${key}=`;
        case 'broken':
          return `${key}=<http://${value}`;
        default:
          return `${key}=${value}`;
      }
    });

const separator = fc.constantFrom(' ', ' ', ' ', '  ', '\t', '\n', '\u00a0', '\u3000', '\u200B');

/**
 * A slash command text: mostly shaped like a command (app, port, options, maybe a repeated key), often broken in
 * one place, sometimes pure noise.
 */
const SHAPES = {
  '/expose': { keys: ['host', 'env', 'ns', 'access'], positional: 2 },
  '/unexpose': { keys: ['env', 'host'], positional: 1 },
} as const;

/**
 * A slash command text: mostly shaped like the command (app, port for /expose, options, maybe a repeated key),
 * often broken in one place, sometimes pure noise.
 */
export const fuzzTexts = (): fc.Arbitrary<{ command: string; text: string }> =>
  fc
    .oneof(
      { weight: 40, arbitrary: fc.constantFrom('/expose', '/unexpose') },
      { weight: 1, arbitrary: fc.constantFrom('/Expose', '/tunnel', '') },
    )
    .chain((command) => {
      const shape = SHAPES[command as keyof typeof SHAPES] ?? SHAPES['/expose'];
      const option = optionToken(shape.keys);
      const words = fc.oneof(
        {
          weight: 6,
          arbitrary: fc
            .tuple(
              appToken,
              portToken,
              fc.array(option, { maxLength: 3 }),
              fc.oneof(
                { weight: 8, arbitrary: fc.constant(null) },
                {
                  weight: 1,
                  arbitrary: fc.constantFrom('host=a.example.com', 'env=staging', 'ns=apps', 'access=public'),
                },
              ),
            )
            .map(([app, port, options, repeated]) => [
              app,
              ...(shape.positional === 2 ? [port] : []),
              ...options,
              ...(repeated ? [repeated, repeated] : []),
            ]),
        },
        {
          weight: 1,
          arbitrary: fc
            .tuple(appToken, portToken, fc.array(option, { maxLength: 3 }))
            .map(([app, port, options]) =>
              shape.positional === 2 ? [app, ...options] : [app, port, ...options],
            ),
        },
        {
          weight: 1,
          arbitrary: fc
            .tuple(fc.constantFrom('list', 'LIST'), fc.array(optionToken(['env']), { maxLength: 2 }))
            .map(([list, options]) => [list, ...options]),
        },
        {
          weight: 2,
          arbitrary: fc.array(fc.oneof(appToken, portToken, option, hostileString), { maxLength: 7 }),
        },
        {
          weight: 1,
          arbitrary: fc.constantFrom<string[]>([], ['help'], ['HELP', 'me'], ['list', 'staging']),
        },
      );
      const shuffled = fc.tuple(words, fc.integer({ min: 0, max: 9 })).chain(([list, roll]) =>
        // One case in ten shuffles the words, which puts options before positionals and ports before apps.
        roll === 0 && list.length > 1
          ? fc.shuffledSubarray(list, { minLength: list.length, maxLength: list.length })
          : fc.constant(list),
      );
      return fc
        .tuple(shuffled, fc.array(separator, { minLength: 10, maxLength: 10 }), separator)
        .map(([list, gaps, lead]) => ({
          command,
          text:
            list.length === 0 ? lead : lead + list.map((word, i) => word + (gaps[i % 10] ?? ' ')).join(''),
        }));
    });
