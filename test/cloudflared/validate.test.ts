import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { stringify } from 'yaml';
import {
  validateCloudflaredConfig,
  validateIngressRules,
  type IngressRule,
} from '../../src/gitops/cloudflared/index.js';

const CATCH_ALL: IngressRule = { service: 'http_status:404' };
const LAST_NOT_CATCH_ALL =
  'The last ingress rule must match all URLs (i.e. it should not have a hostname or path filter)';
const BAD_WILDCARD =
  'Hostname patterns can have at most one wildcard character ("*") and it can only be used for subdomains, e.g. "*.example.com"';
const PATH_ERROR = (service: string) =>
  `${service} is an invalid address, ingress rules don't support proxying to a different path on the origin service. ` +
  "The path will be the same as the eyeball request's path";
const ADDRESS_ERROR = (service: string) =>
  `${service} is an invalid address, please make sure it has a scheme and a hostname`;
const catchAllMidway = (number: number, hostname: string) =>
  `Rule #${number} is matching the hostname '${hostname}', but this will match every hostname, meaning the rules ` +
  'which follow it will never be triggered.';
const regexError = (number: number, reason: string, expr: string) =>
  `Rule #${number} has an invalid regex: error parsing regexp: ${reason}: \`${expr}\``;

/** One rule in front of the catch-all: the service/hostname/path under test is rule #1. */
const withService = (service: string | undefined, extra: IngressRule = {}): IngressRule[] => [
  { hostname: 'app.example.com', ...(service === undefined ? {} : { service }), ...extra },
  CATCH_ALL,
];
const withHostname = (hostname: string): IngressRule[] => [{ hostname, service: 'http://app:80' }, CATCH_ALL];
const withPath = (path: string): IngressRule[] => [
  { hostname: 'app.example.com', path, service: 'http://app:80' },
  CATCH_ALL,
];

const CASES: Array<{
  name: string;
  rules: IngressRule[];
  error?: string;
  defaults?: Record<string, unknown>;
}> = [
  // service formats, in cloudflared's order
  { name: 'unix socket', rules: withService('unix:/var/run/app.sock') },
  { name: 'unix socket with an empty path (unchecked)', rules: withService('unix:') },
  { name: 'unix+tls socket', rules: withService('unix+tls:/var/run/app.sock') },
  { name: 'http_status:404', rules: withService('http_status:404') },
  { name: 'http_status lower bound 100', rules: withService('http_status:100') },
  { name: 'http_status upper bound 999', rules: withService('http_status:999') },
  { name: 'http_status:99', rules: withService('http_status:99'), error: 'invalid HTTP status code: 99' },
  {
    name: 'http_status:1000',
    rules: withService('http_status:1000'),
    error: 'invalid HTTP status code: 1000',
  },
  { name: 'http_status with a sign (Atoi accepts it)', rules: withService('http_status:+404') },
  { name: 'http_status:-1', rules: withService('http_status:-1'), error: 'invalid HTTP status code: -1' },
  {
    name: 'http_status not a number',
    rules: withService('http_status:abc'),
    error: 'invalid HTTP status code: strconv.Atoi: parsing "abc": invalid syntax',
  },
  {
    name: 'http_status empty',
    rules: withService('http_status:'),
    error: 'invalid HTTP status code: strconv.Atoi: parsing "": invalid syntax',
  },
  {
    name: 'http_status beyond int64',
    rules: withService('http_status:99999999999999999999'),
    error: 'invalid HTTP status code: strconv.Atoi: parsing "99999999999999999999": value out of range',
  },
  { name: 'hello_world', rules: withService('hello_world') },
  { name: 'hello-world', rules: withService('hello-world') },
  { name: 'socks-proxy', rules: withService('socks-proxy') },
  { name: 'socks5 is not a service', rules: withService('socks5'), error: ADDRESS_ERROR('socks5') },
  { name: 'bastion', rules: withService('bastion') },
  {
    name: 'bastionMode without service',
    rules: withService(undefined, { originRequest: { bastionMode: true } }),
  },
  {
    name: 'bastionMode from the top-level originRequest',
    rules: withService(undefined),
    defaults: { bastionMode: true },
  },
  {
    name: 'a rule turning bastionMode off again needs a service',
    rules: withService(undefined, { originRequest: { bastionMode: false } }),
    defaults: { bastionMode: true },
    error: ADDRESS_ERROR(''),
  },
  { name: 'missing service', rules: withService(undefined), error: ADDRESS_ERROR('') },
  {
    name: 'host:port without scheme',
    rules: withService('localhost:8000'),
    error: ADDRESS_ERROR('localhost:8000'),
  },
  { name: 'hostname only', rules: withService('app.default.svc'), error: ADDRESS_ERROR('app.default.svc') },
  {
    name: 'scheme without host',
    rules: withService('http:///metrics'),
    error: ADDRESS_ERROR('http:///metrics'),
  },
  { name: 'http URL', rules: withService('http://linkding:9090') },
  {
    name: 'https URL to a cluster service',
    rules: withService('https://ingress-nginx.svc.cluster.local:443'),
  },
  { name: 'IPv6 literal', rules: withService('http://[::1]:8080') },
  { name: 'query but no path', rules: withService('http://app:80?x=1') },
  { name: 'ssh (TCP over websocket)', rules: withService('ssh://bastion:22') },
  { name: 'rdp without port', rules: withService('rdp://desktop') },
  { name: 'any other scheme is TCP', rules: withService('tcp://postgres:5432') },
  {
    name: 'trailing slash is a path',
    rules: withService('http://app:80/'),
    error: PATH_ERROR('http://app:80/'),
  },
  {
    name: 'path on the origin',
    rules: withService('http://app:80/api'),
    error: PATH_ERROR('http://app:80/api'),
  },
  {
    name: 'space in host (url.Parse error)',
    rules: withService('http://my app:80'),
    error: 'parse "http://my app:80": invalid character " " in host name',
  },
  {
    name: 'non-numeric port',
    rules: withService('http://app:http'),
    error: 'parse "http://app:http": invalid port ":http" after host',
  },
  {
    name: 'bad percent escape',
    rules: withService('http://app/%zz'),
    error: 'parse "http://app/%zz": invalid URL escape "%zz"',
  },
  {
    name: 'missing scheme name',
    rules: withService(':8080'),
    error: 'parse ":8080": missing protocol scheme',
  },
  // access
  {
    name: 'access required with audTag but no teamName',
    rules: withService('http://app:80', { originRequest: { access: { required: true, audTag: ['aud1'] } } }),
    error: 'access.TeamName cannot be blank when access.audTags are present',
  },
  {
    name: 'access with teamName',
    rules: withService('http://app:80', {
      originRequest: { access: { required: true, teamName: 'team', audTag: ['aud1'] } },
    }),
  },
  {
    name: 'access not required is not checked',
    rules: withService('http://app:80', { originRequest: { access: { required: false, audTag: ['aud1'] } } }),
  },
  {
    name: 'service is checked before access',
    rules: withService('http_status:1', { originRequest: { access: { required: true, audTag: ['a'] } } }),
    error: 'invalid HTTP status code: 1',
  },
  // hostname
  {
    name: 'hostname with a port',
    rules: withHostname('app.example.com:443'),
    error: 'Hostname cannot contain a port',
  },
  {
    name: 'IPv6 hostname with a port',
    rules: withHostname('[::1]:443'),
    error: 'Hostname cannot contain a port',
  },
  { name: 'wildcard subdomain', rules: withHostname('*.example.com') },
  { name: 'inner wildcard', rules: withHostname('test.*.example.com'), error: BAD_WILDCARD },
  { name: 'double wildcard', rules: withHostname('**.example.com'), error: BAD_WILDCARD },
  { name: 'wildcard without dot passes validation', rules: withHostname('*example.com') },
  {
    name: 'port is checked before the wildcard',
    rules: withHostname('a.*.example.com:80'),
    error: 'Hostname cannot contain a port',
  },
  // catch-all
  {
    name: 'last rule has a hostname',
    rules: [{ hostname: 'a.com', service: 'http://a:80' }],
    error: LAST_NOT_CATCH_ALL,
  },
  {
    name: 'lone rule with only a path',
    rules: [{ path: '^/api', service: 'http://a:80' }],
    error: LAST_NOT_CATCH_ALL,
  },
  { name: 'lone catch-all', rules: [CATCH_ALL] },
  {
    name: '"*" as the last rule',
    rules: [
      { hostname: 'a.com', service: 'http://a:80' },
      { hostname: '*', service: 'http_status:404' },
    ],
  },
  {
    name: 'catch-all first',
    rules: [CATCH_ALL, { hostname: 'a.com', service: 'http://a:80' }, CATCH_ALL],
    error: catchAllMidway(1, ''),
  },
  {
    name: '"*" catch-all in the middle',
    rules: [
      { hostname: 'a.com', service: 'http://a:80' },
      { hostname: '*', service: 'http://b:80' },
      CATCH_ALL,
    ],
    error: catchAllMidway(2, '*'),
  },
  {
    name: '"*" with a path may come earlier',
    rules: [{ hostname: '*', path: '^/health$', service: 'http://b:80' }, CATCH_ALL],
  },
  {
    name: 'rules are checked one by one (rule #1 hostname before rule #2 service)',
    rules: [
      { hostname: 'a.com:1', service: 'http://a:80' },
      { hostname: 'b.com', service: 'nope' },
      CATCH_ALL,
    ],
    error: 'Hostname cannot contain a port',
  },
  // path regex (Go RE2)
  {
    name: 'glob instead of regex',
    rules: withPath('*/subpath2'),
    error: regexError(1, 'missing argument to repetition operator', '*'),
  },
  { name: 'anchored regex', rules: withPath('^/api/.*$') },
  {
    name: 'RE2 flags, \\Q…\\E, POSIX class, named group',
    rules: withPath('(?i)^/(?P<id>[[:alpha:]]+)\\Q.*\\E'),
  },
  { name: 'Go 1.22 (?<name>) group', rules: withPath('^/(?<id>\\d+)$') },
  {
    name: 'lookahead',
    rules: withPath('^/api(?=/v1)'),
    error: regexError(1, 'invalid or unsupported Perl syntax', '(?='),
  },
  {
    name: 'negative lookahead',
    rules: withPath('^/(?!admin)'),
    error: regexError(1, 'invalid or unsupported Perl syntax', '(?!'),
  },
  {
    name: 'lookbehind',
    rules: withPath('(?<=/api)/x'),
    error: regexError(1, 'invalid named capture', '(?<=/api)/x'),
  },
  {
    name: 'backreference',
    rules: withPath('^/(a)\\1'),
    error: regexError(1, 'invalid escape sequence', '\\1'),
  },
  {
    name: 'possessive quantifier',
    rules: withPath('a++'),
    error: regexError(1, 'invalid nested repetition operator', '++'),
  },
  {
    name: 'reversed class range',
    rules: withPath('[z-a]'),
    error: regexError(1, 'invalid character class range', 'z-a'),
  },
  { name: 'unclosed group', rules: withPath('^/(api'), error: regexError(1, 'missing closing )', '^/(api') },
  { name: 'unopened group', rules: withPath('^/api)'), error: regexError(1, 'unexpected )', '^/api)') },
  { name: 'unclosed class', rules: withPath('[a-'), error: regexError(1, 'missing closing ]', '[a-') },
  {
    name: 'repeat count above 1000',
    rules: withPath('a{1001}'),
    error: regexError(1, 'invalid repeat count', '{1001}'),
  },
  {
    name: 'trailing backslash',
    rules: withPath('/api\\'),
    error: regexError(1, 'trailing backslash at end of expression', ''),
  },
  {
    name: 'JS-only \\u escape',
    rules: withPath('\\u0041'),
    error: regexError(1, 'invalid escape sequence', '\\u'),
  },
  {
    name: 'hostname is checked before the path',
    rules: [{ hostname: 'a.com:80', path: '*', service: 'http://a:80' }, CATCH_ALL],
    error: 'Hostname cannot contain a port',
  },
  {
    name: 'rule number of a later invalid regex',
    rules: [
      { hostname: 'a.com', service: 'http://a:80' },
      { hostname: 'b.com', path: '(', service: 'http://b:80' },
      CATCH_ALL,
    ],
    error: regexError(2, 'missing closing )', '('),
  },
  // file level
  { name: 'no rules at all', rules: [], error: "The config file doesn't contain any ingress rules" },
];

describe('validateIngressRules: cloudflared ingress validate verdicts and messages', () => {
  for (const { name, rules, error, defaults } of CASES) {
    test(name, () => {
      const result = validateIngressRules(rules, defaults);
      if (error === undefined) assert.deepEqual(result, { ok: true, warnings: [] });
      else assert.deepEqual(result, { ok: false, error, warnings: [] });
    });
  }

  test('the same table through config.yaml text', () => {
    for (const { name, rules, error, defaults } of CASES) {
      const text = stringify({
        tunnel: 'demo',
        ...(defaults ? { originRequest: defaults } : {}),
        ingress: rules,
      });
      const result = validateCloudflaredConfig(text);
      assert.equal(result.ok ? undefined : result.error, error, name);
    }
  });
});

describe('validateCloudflaredConfig: file-level behaviour', () => {
  const noRules = "The config file doesn't contain any ingress rules";

  test('an empty file, a missing, null or empty ingress have no rules', () => {
    for (const text of ['', '# only a comment\n', 'tunnel: x\n', 'tunnel: x\ningress:\n', 'ingress: []\n']) {
      assert.deepEqual(validateCloudflaredConfig(text), { ok: false, error: noRules, warnings: [] }, text);
    }
  });

  test('unknown top-level keys are cloudflared flags, not warnings', () => {
    const text =
      'tunnel: x\nmetrics: 0.0.0.0:2000\nno-autoupdate: true\nmy-own-flag: 1\ningress:\n  - service: http_status:404\n';
    assert.deepEqual(validateCloudflaredConfig(text), { ok: true, warnings: [] });
  });

  test('unknown keys inside rules and originRequest are warnings with their line', () => {
    const text = [
      'tunnel: x',
      'originRequest:',
      '  connectTimout: 10s',
      'ingress:',
      '  - hostname: a.example.com',
      '    servic: http://typo:80',
      '    service: http://a:80',
      '    originRequest:',
      '      noTLSVerfy: true',
      '      access: {required: true, teamName: t, audience: x}',
      '  - service: http_status:404',
      '',
    ].join('\n');
    assert.deepEqual(validateCloudflaredConfig(text), {
      ok: true,
      warnings: [
        'line 3: field connectTimout not found in type config.OriginRequestConfig',
        'line 6: field servic not found in type config.UnvalidatedIngressRule',
        'line 9: field noTLSVerfy not found in type config.OriginRequestConfig',
        'line 10: field audience not found in type config.AccessConfig',
      ],
    });
  });

  test('scalars are read as written, like Go yaml.v3 into a string', () => {
    const text =
      'ingress:\n  - hostname: 0x10.example.com\n    service: http_status:0404\n  - service: http_status:404\n';
    assert.deepEqual(validateCloudflaredConfig(text), { ok: true, warnings: [] });
    const numeric = 'ingress:\n  - service: 404\n';
    assert.deepEqual(validateCloudflaredConfig(numeric), {
      ok: false,
      error: ADDRESS_ERROR('404'),
      warnings: [],
    });
  });

  test('YAML 1.1 booleans still switch bastionMode on (yaml.v3 accepts them for bool fields)', () => {
    const text =
      'ingress:\n  - hostname: ssh.example.com\n    originRequest: {bastionMode: yes}\n  - service: http_status:404\n';
    assert.deepEqual(validateCloudflaredConfig(text), { ok: true, warnings: [] });
  });

  test('YAML syntax and type errors name the file and line', () => {
    const tabs = validateCloudflaredConfig('ingress:\n\t- service: http_status:404\n');
    assert.equal(tabs.ok, false);
    assert.match(
      tabs.ok ? '' : tabs.error,
      /^config\.yaml line 2, column 1: Tabs are not allowed as indentation/,
    );
    const typed = validateCloudflaredConfig('ingress:\n  - hostname: [a, b]\n    service: http://a:80\n');
    assert.deepEqual(typed, {
      ok: false,
      error: 'config.yaml line 2: "hostname" of ingress rule #1 must be a string, not a list (!!seq)',
      warnings: [],
    });
  });

  // Found by fuzzing the YAML readers: yaml throws these only while building data, without a position, and the
  // error reached the user as an internal error.
  test('an alias without its anchor and a merge key without a mapping name their line', () => {
    const alias = validateCloudflaredConfig(
      'tunnel: 6ff42ae2-765d-4adf-8112-31c55c1551ef\noriginRequest: {noTLSVerify: *yes}\ningress:\n  - service: http_status:404\n',
    );
    assert.match(
      alias.ok ? '' : alias.error,
      /^config\.yaml line 2, column 30: the alias \*yes has no anchor &yes before it\n/,
    );
    const merge = validateCloudflaredConfig('<<: 5\ningress:\n  - service: http_status:404\n');
    assert.match(
      merge.ok ? '' : merge.error,
      /^config\.yaml line 1, column 1: Merge sources must be maps or map aliases\n/,
    );
  });

  test('originRequest values must decode into their Go types (durations need a unit)', () => {
    const rule = (originRequest: string) =>
      `ingress:\n  - hostname: a.example.com\n    service: http://a:80\n    originRequest: ${originRequest}\n  - service: http_status:404\n`;
    assert.deepEqual(validateCloudflaredConfig(rule('{connectTimeout: 1m30s, keepAliveConnections: 10}')), {
      ok: true,
      warnings: [],
    });
    const cases: Array<[string, string]> = [
      [
        '{connectTimeout: 30}',
        '"originRequest.connectTimeout" of ingress rule #1 must be a duration with a unit, such as 30s, 1m30s or 500ms, not "30"',
      ],
      ['{tlsTimeout: 10 s}', '"originRequest.tlsTimeout" of ingress rule #1 must be a duration with a unit'],
      [
        '{noTLSVerify: maybe}',
        '"originRequest.noTLSVerify" of ingress rule #1 must be true or false, not "maybe"',
      ],
      [
        '{proxyPort: -1}',
        '"originRequest.proxyPort" of ingress rule #1 must be a non-negative integer, not "-1"',
      ],
      [
        '{access: {required: true, audTag: aud}}',
        '"originRequest.access.audTag" of ingress rule #1 must be a list',
      ],
    ];
    for (const [originRequest, message] of cases) {
      const result = validateCloudflaredConfig(rule(originRequest));
      assert.equal(result.ok, false, originRequest);
      assert.ok(
        !result.ok && result.error.startsWith(`config.yaml line 4: ${message}`),
        result.ok ? '' : result.error,
      );
    }
    const topLevel = validateCloudflaredConfig(
      'originRequest:\n  connectTimeout: 30\ningress:\n  - service: http_status:404\n',
    );
    assert.ok(
      !topLevel.ok && topLevel.error.startsWith('config.yaml line 2: "originRequest.connectTimeout" must be'),
    );
    const warp = validateCloudflaredConfig(
      'warp-routing:\n  maxActiveFlows: lots\ningress:\n  - service: http_status:404\n',
    );
    assert.ok(!warp.ok && warp.error.startsWith('config.yaml line 2: "warp-routing.maxActiveFlows" must be'));
  });

  test('secrets in the config (token, credentials-contents) never appear in errors or warnings', () => {
    const secret = 'c2VjcmV0LXR1bm5lbC1zZWNyZXQtMzItYnl0ZXMtbG9uZw==';
    const token = `eyJhIjoiYWNjb3VudCIsInMiOiI${secret}`;
    const configs = [
      `token: ${token}\ncredentials-contents: {"TunnelSecret": "${secret}"}\ningress:\n\t- service: x\n`,
      `token: ${token}\ncredentials-contents: '{"TunnelSecret": "${secret}"}'\ningress:\n  - hostname: a.com:1\n    service: http://a:80\n  - service: http_status:404\n`,
      `token: [${token}\ningress: []\n`,
      `token: ${token}\ntoken: ${token}\n`,
      `token: ${token}\ningress:\n  - service: http_status:404\n    originRequest: {secretKey: ${secret}}\n`,
    ];
    for (const text of configs) {
      const result = validateCloudflaredConfig(text);
      const shown = JSON.stringify(result);
      assert.ok(!shown.includes(secret) && !shown.includes(token), shown);
    }
  });
});
