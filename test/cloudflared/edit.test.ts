import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { isTunnelbotError, type ErrorCode } from '../../src/errors.js';
import {
  removeIngressRule,
  routedHostnames,
  upsertIngressRule,
  validateCloudflaredConfig,
} from '../../src/gitops/cloudflared/index.js';

const fixture = (name: string) =>
  readFileSync(new URL(`../fixtures/cloudflared/${name}`, import.meta.url), 'utf8');
const SEED = fixture('seed.yaml');
const INDENTED = fixture('indented.yaml');

/** Replaces exactly one occurrence, so a golden diff cannot silently match twice or not at all. */
function replaceOnce(text: string, search: string, replacement: string): string {
  assert.equal(text.split(search).length, 2, `expected exactly one ${JSON.stringify(search)}`);
  return text.replace(search, () => replacement);
}

function throwsCode(run: () => unknown, code: ErrorCode, message?: RegExp): void {
  assert.throws(run, (error) => {
    assert.ok(isTunnelbotError(error), String(error));
    assert.equal(error.code, code, error.message);
    if (message) assert.match(error.message, message);
    return true;
  });
}

describe('edits on the seed article config (flush list, blank-line separators, comments)', () => {
  test('adding a wildcard rule goes before the catch-all, quoted, with the same blank-line separator', () => {
    const result = upsertIngressRule(SEED, { hostname: '*.apps.example.com', service: 'http://ingress:80' });
    const expected = replaceOnce(
      SEED,
      '- service: http_status:404\n',
      '- hostname: "*.apps.example.com"\n  service: http://ingress:80\n\n- service: http_status:404\n',
    );
    assert.equal(result, expected);
    assert.deepEqual(validateCloudflaredConfig(result), { ok: true, warnings: [] });
  });

  test('add then remove is the identity', () => {
    const added = upsertIngressRule(SEED, {
      hostname: 'grafana.example.com',
      service: 'http://grafana:3000',
    });
    assert.equal(removeIngressRule(added, 'grafana.example.com'), SEED);
  });

  test('replacing a service changes that value only', () => {
    const result = upsertIngressRule(SEED, { hostname: 'hello.example.com', service: 'http://hello:8080' });
    assert.equal(result, replaceOnce(SEED, 'service: hello_world\n', 'service: http://hello:8080\n'));
  });

  test('upserting an identical rule returns the text unchanged', () => {
    const result = upsertIngressRule(SEED, {
      hostname: 'linkding.hervedelaunay.com',
      service: 'http://linkding:9090',
    });
    assert.equal(result, SEED);
  });

  test('removing the first rule takes its blank-line separator with it', () => {
    const result = removeIngressRule(SEED, 'linkding.hervedelaunay.com');
    const expected = replaceOnce(
      SEED,
      '- hostname: linkding.hervedelaunay.com\n  service: http://linkding:9090\n\n',
      '',
    );
    assert.equal(result, expected);
  });

  test('indented as inside its ConfigMap: whitespace-only separator lines are copied byte for byte', () => {
    const indented = fixture('seed-configmap-indent.yaml');
    const result = upsertIngressRule(indented, {
      hostname: 'grafana.example.com',
      service: 'http://grafana:3000',
    });
    const expected = replaceOnce(
      indented,
      '    \n    - service: http_status:404\n',
      '    \n    - hostname: grafana.example.com\n      service: http://grafana:3000\n    \n    - service: http_status:404\n',
    );
    assert.equal(result, expected);
    assert.equal(removeIngressRule(result, 'grafana.example.com'), indented);
    const removed = removeIngressRule(indented, 'hello.example.com');
    assert.equal(
      removed,
      replaceOnce(indented, '    - hostname: hello.example.com\n      service: hello_world\n    \n', ''),
    );
  });

  test('the verbatim seed (a tab before the catch-all) is refused as invalid YAML', () => {
    throwsCode(
      () =>
        upsertIngressRule(fixture('seed-verbatim.yaml'), {
          hostname: 'a.example.com',
          service: 'http://a:80',
        }),
      'TB_ERR_CLOUDFLARED_YAML_PARSE',
      /^config\.yaml line 17, column 1: Tabs are not allowed as indentation/,
    );
  });
});

describe('edits on an indented list with quoted values and comments', () => {
  test('a new rule copies the indentation and stays above the catch-all comment', () => {
    const result = upsertIngressRule(INDENTED, {
      hostname: 'grafana.example.com',
      service: 'http://grafana:3000',
    });
    const expected = replaceOnce(
      INDENTED,
      '    # everything else\n',
      '    - hostname: grafana.example.com\n      service: http://grafana:3000\n    # everything else\n',
    );
    assert.equal(result, expected);
    assert.equal(removeIngressRule(result, 'grafana.example.com'), INDENTED);
  });

  test('a changed service keeps its quote style and the rule its comments and originRequest', () => {
    const result = upsertIngressRule(INDENTED, {
      hostname: 'app.example.com',
      service: 'http://app.default:8080',
      originRequest: { noTLSVerify: true, originServerName: 'app.example.com' },
    });
    const expected = replaceOnce(
      INDENTED,
      '"https://ingress-nginx-controller.ingress-nginx.svc.cluster.local:443"',
      '"http://app.default:8080"',
    );
    assert.equal(result, expected);
  });

  test('a rule whose keys change is rewritten in the list style; its leading comment stays', () => {
    const result = upsertIngressRule(INDENTED, { hostname: 'app.example.com', service: 'http://app:8080' });
    const expected = replaceOnce(
      INDENTED,
      [
        "    - hostname: 'app.example.com'",
        '      service: "https://ingress-nginx-controller.ingress-nginx.svc.cluster.local:443"',
        '      originRequest:',
        '        noTLSVerify: true',
        '        originServerName: app.example.com',
        '',
      ].join('\n'),
      '    - hostname: app.example.com\n      service: http://app:8080\n',
    );
    assert.equal(result, expected);
  });

  test('a new rule with path and originRequest renders nested keys under the rule', () => {
    const result = upsertIngressRule(INDENTED, {
      hostname: 'api.example.com',
      path: '^/v[0-9]+/',
      service: 'https://api:443',
      originRequest: { noTLSVerify: true, access: { required: true, teamName: 'acme', audTag: ['aud-1'] } },
    });
    const inserted = [
      '    - hostname: api.example.com',
      '      path: ^/v[0-9]+/',
      '      service: https://api:443',
      '      originRequest:',
      '        noTLSVerify: true',
      '        access:',
      '          required: true',
      '          teamName: acme',
      '          audTag:',
      '            - aud-1',
      '',
    ].join('\n');
    assert.equal(
      result,
      replaceOnce(INDENTED, '    # everything else\n', `${inserted}    # everything else\n`),
    );
    assert.deepEqual(validateCloudflaredConfig(result), { ok: true, warnings: [] });
    assert.equal(removeIngressRule(result, 'api.example.com'), INDENTED);
  });

  test('long nested values stay on one line', () => {
    const caPool = `/etc/cloudflared/${'my certificate authority bundles/'.repeat(4)}ca.pem`;
    const result = upsertIngressRule(INDENTED, {
      hostname: 'ca.example.com',
      service: 'https://ca:443',
      originRequest: { caPool },
    });
    assert.ok(result.includes(`      originRequest:\n        caPool: ${caPool}\n`), result);
  });

  test('removing a rule removes its inline and deeper comments, not the next rule’s comment', () => {
    const result = removeIngressRule(INDENTED, '*.preview.example.com');
    const expected = replaceOnce(
      INDENTED,
      [
        '    - hostname: "*.preview.example.com"   # PR previews',
        '      service: http://preview:80',
        '      # previews share one service',
        '',
      ].join('\n'),
      '',
    );
    assert.equal(result, expected);
  });

  test('the hostname match ignores case, as DNS does', () => {
    const result = removeIngressRule(INDENTED, 'APP.example.com');
    assert.deepEqual(routedHostnames(result), ['*.preview.example.com']);
  });
});

describe('other layouts', () => {
  test('CRLF files get CRLF lines, and add-remove is still the identity', () => {
    const crlf = INDENTED.replace(/\n/g, '\r\n');
    const added = upsertIngressRule(crlf, { hostname: 'b.example.com', service: 'http://b:80' });
    const inserted =
      '    - hostname: b.example.com\r\n      service: http://b:80\r\n    # everything else\r\n';
    assert.ok(added.includes(inserted), added);
    assert.doesNotMatch(added.replace(/\r\n/g, ''), /\n/);
    assert.equal(removeIngressRule(added, 'b.example.com'), crlf);
  });

  test('a list holding only the catch-all, without trailing newline', () => {
    const text = 'tunnel: t\ningress:\n  - service: http_status:404';
    const added = upsertIngressRule(text, { hostname: 'a.example.com', service: 'http://a:80' });
    assert.equal(
      added,
      'tunnel: t\ningress:\n  - hostname: a.example.com\n    service: http://a:80\n  - service: http_status:404',
    );
    assert.equal(removeIngressRule(added, 'a.example.com'), text);
  });

  test('removing a hostname removes all of its path rules', () => {
    const text = [
      'ingress:',
      '- hostname: a.example.com',
      '  path: ^/api',
      '  service: http://api:80',
      '- hostname: b.example.com',
      '  service: http://b:80',
      '- hostname: a.example.com',
      '  service: http://a:80',
      '- service: http_status:404',
      '',
    ].join('\n');
    assert.equal(
      removeIngressRule(text, 'a.example.com'),
      'ingress:\n- hostname: b.example.com\n  service: http://b:80\n- service: http_status:404\n',
    );
  });

  test('hostname and path identify a rule: another path is a new rule', () => {
    const text = 'ingress:\n- hostname: a.example.com\n  service: http://a:80\n- service: http_status:404\n';
    const result = upsertIngressRule(text, {
      hostname: 'a.example.com',
      path: '^/api',
      service: 'http://api:80',
    });
    assert.equal(
      result,
      'ingress:\n- hostname: a.example.com\n  service: http://a:80\n' +
        '- hostname: a.example.com\n  path: ^/api\n  service: http://api:80\n- service: http_status:404\n',
    );
  });

  test('routedHostnames lists each routed hostname once, catch-alls excluded', () => {
    assert.deepEqual(routedHostnames(SEED), ['linkding.hervedelaunay.com', 'hello.example.com']);
    assert.deepEqual(routedHostnames(INDENTED), ['app.example.com', '*.preview.example.com']);
    assert.deepEqual(
      routedHostnames(
        'ingress:\n- hostname: "*"\n  path: x\n  service: http://a:80\n- service: http_status:404\n',
      ),
      [],
    );
  });
});

describe('refusals', () => {
  const rule = { hostname: 'a.example.com', service: 'http://a:80' };

  test('no ingress list', () => {
    throwsCode(() => upsertIngressRule('tunnel: t\n', rule), 'TB_ERR_CLOUDFLARED_NO_INGRESS');
    throwsCode(() => upsertIngressRule('tunnel: t\ningress:\n', rule), 'TB_ERR_CLOUDFLARED_NO_INGRESS');
    throwsCode(() => removeIngressRule('tunnel: t\n', 'a.example.com'), 'TB_ERR_CLOUDFLARED_NO_INGRESS');
  });

  test('no catch-all at the end', () => {
    throwsCode(
      () => upsertIngressRule('ingress:\n- hostname: b.example.com\n  service: http://b:80\n', rule),
      'TB_ERR_CLOUDFLARED_NO_CATCH_ALL',
      /line 2/,
    );
  });

  test('a flow-style list cannot be edited in place', () => {
    throwsCode(
      () => upsertIngressRule('ingress: [{service: "http_status:404"}]\n', rule),
      'TB_ERR_CLOUDFLARED_UNSUPPORTED_LAYOUT',
    );
  });

  test('an ingress list behind a YAML alias cannot be edited in place', () => {
    throwsCode(
      () => upsertIngressRule('x-rules: &rules\n  - service: http_status:404\ningress: *rules\n', rule),
      'TB_ERR_CLOUDFLARED_UNSUPPORTED_LAYOUT',
      /alias \(\*rules\)/,
    );
  });

  test('a config that is already invalid', () => {
    const invalid =
      'ingress:\n- hostname: b.example.com:80\n  service: http://b:80\n- service: http_status:404\n';
    throwsCode(
      () => upsertIngressRule(invalid, rule),
      'TB_ERR_CLOUDFLARED_INVALID_CONFIG',
      /Hostname cannot contain a port/,
    );
  });

  test('a rule that would be invalid names the hostname and cloudflared’s reason', () => {
    throwsCode(
      () => upsertIngressRule(SEED, { hostname: 'x.example.com', service: 'http://x:80/' }),
      'TB_ERR_CLOUDFLARED_INVALID_RULE',
      /^The ingress rule for x\.example\.com would make config\.yaml invalid: http:\/\/x:80\/ is an invalid address/,
    );
    throwsCode(
      () => upsertIngressRule(SEED, { hostname: 'x.example.com:443', service: 'http://x:80' }),
      'TB_ERR_CLOUDFLARED_INVALID_RULE',
      /Hostname cannot contain a port/,
    );
    throwsCode(
      () => upsertIngressRule(SEED, { hostname: '*', service: 'http://x:80' }),
      'TB_ERR_CLOUDFLARED_INVALID_RULE',
    );
    throwsCode(
      () => upsertIngressRule(SEED, { hostname: '', service: 'http://x:80' }),
      'TB_ERR_CLOUDFLARED_INVALID_RULE',
    );
  });

  test('removing a hostname that has no rule', () => {
    throwsCode(
      () => removeIngressRule(SEED, 'nope.example.com'),
      'TB_ERR_CLOUDFLARED_RULE_NOT_FOUND',
      /nope\.example\.com/,
    );
  });

  test('invalid YAML', () => {
    throwsCode(
      () => routedHostnames('ingress:\n  - a: [\n'),
      'TB_ERR_CLOUDFLARED_YAML_PARSE',
      /^config\.yaml line \d+/,
    );
  });
});
