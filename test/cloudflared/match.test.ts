import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isTunnelbotError } from '../../src/errors.js';
import { findMatchingRule, parseCloudflaredConfig } from '../../src/gitops/cloudflared/index.js';

const CONFIG = parseCloudflaredConfig(`tunnel: demo
ingress:
  - hostname: app.example.com
    path: ^/api/
    service: http://api:80
  - hostname: app.example.com
    service: http://app:80
  - hostname: "*.apps.example.com"
    service: http://apps:80
  - hostname: bücher.example.com
    service: http://books:80
  - hostname: "*"
    path: \\.(png|jpg)$
    service: http://static:80
  - hostname: Upper.Example.com
    service: http://upper:80
  - hostname: health.example.com
    path: /health
    service: http://health:80
  - hostname: v.example.com
    path: ^/v[[:digit:]]+\\z
    service: http://versions:80
  - service: http_status:404
`);

describe('findMatchingRule: the rule cloudflared picks', () => {
  const cases: Array<[url: string, index: number, why: string]> = [
    ['https://app.example.com/api/users', 0, 'host and path regex'],
    ['https://app.example.com/', 1, 'same host, path does not match rule #0'],
    ['https://app.example.com:8443/api/x', 0, 'port stripped from the request host'],
    ['https://app.example.com/v1/api/', 1, 'anchored path ^/api/ does not match mid-path'],
    ['https://app.example.com/x?next=/api/', 1, 'query string is not part of the path'],
    ['https://app.example.com/%61pi/x', 0, 'path is percent-decoded as in Go'],
    ['https://x.apps.example.com/', 2, 'wildcard subdomain'],
    ['https://a.b.apps.example.com/', 2, 'wildcard matches any depth'],
    ['https://apps.example.com/', 8, 'wildcard does not match the apex'],
    ['https://bücher.example.com/', 3, 'IDN host as written'],
    ['https://xn--bcher-kva.example.com/', 3, 'punycode form of the rule hostname'],
    ['https://other.example.com/logo.png', 4, '"*" with a path matches any host'],
    ['https://upper.example.com/', 5, 'lowercased (IDNA) form of the rule hostname'],
    ['https://Upper.Example.com/', 5, 'hostname as written'],
    ['https://UPPER.example.com/', 8, 'request hosts are not lowercased'],
    ['https://health.example.com/api/healthz', 6, 'path regex is unanchored'],
    ['https://v.example.com/v12', 7, 'RE2-only syntax ([[:digit:]], \\z)'],
    ['https://v.example.com/v12/x', 8, '\\z anchors the end'],
    ['https://unknown.example.com/', 8, 'no match → last rule'],
    ['localhost:8000', 8, 'a scheme without host is accepted and matches no hostname'],
    ['https://[::1]:8443/', 8, 'IPv6 host'],
  ];
  for (const [url, index, why] of cases) {
    test(`${url} → #${index} (${why})`, () => assert.equal(findMatchingRule(CONFIG, url), index));
  }

  test('falls through to the last rule even when it is not a catch-all', () => {
    const config = {
      ingress: [
        { hostname: 'a.com', service: 'http://a:80' },
        { hostname: 'b.com', service: 'x' },
      ],
    };
    assert.equal(findMatchingRule(config, 'https://c.com/'), 1);
    assert.equal(findMatchingRule(config, 'https://a.com/'), 0);
  });

  test('a wildcard IDN rule has no punycode form (STD3 rejects "*"), as in cloudflared', () => {
    const config = {
      ingress: [{ hostname: '*.bücher.example', service: 'http://a:80' }, { service: 'http_status:404' }],
    };
    assert.equal(findMatchingRule(config, 'https://x.bücher.example/'), 0);
    assert.equal(findMatchingRule(config, 'https://x.xn--bcher-kva.example/'), 1);
  });

  test('a URL with neither host nor scheme, or that Go cannot parse, is an error', () => {
    for (const url of ['app.example.com', '/just/a/path', 'http://my app/', ':80']) {
      assert.throws(
        () => findMatchingRule(CONFIG, url),
        (error) => isTunnelbotError(error) && error.code === 'TB_ERR_CLOUDFLARED_INVALID_URL',
        url,
      );
    }
  });

  test('an invalid path regex or an empty rule list is an error, not a guess', () => {
    const badRegex = {
      ingress: [{ hostname: 'a.com', path: '(?=x)', service: 'http://a:80' }, { service: 'x' }],
    };
    assert.throws(
      () => findMatchingRule(badRegex, 'https://a.com/'),
      (error) => isTunnelbotError(error) && /Rule #1 has an invalid regex/.test(error.message),
    );
    assert.throws(
      () => findMatchingRule({ ingress: [] }, 'https://a.com/'),
      (error) => isTunnelbotError(error) && error.code === 'TB_ERR_CLOUDFLARED_INVALID_CONFIG',
    );
  });
});
