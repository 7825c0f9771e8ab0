import { domainToASCII } from 'node:url';
import { TunnelbotError } from '../../errors.js';
import { GoUrlError, goHostname, parseGoUrl, splitHostPort } from './gourl.js';
import type { CloudflaredConfig, IngressRule } from './model.js';
import { compileRe2, Re2SyntaxError, Re2UnsupportedError } from './re2.js';
import { isCatchAll } from './validate.js';

/**
 * The ASCII (punycode) form cloudflared also matches, or undefined when there is none. cloudflared uses
 * idna.Lookup, whose STD3 rules reject `*`, `_` and edge hyphens; such hostnames only match as written.
 */
function punycodeHostname(hostname: string): string | undefined {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u002c\u002f\u003a-\u0040\u005b-\u0060\u007b-\u007f]/.test(hostname)) return undefined;
  if (hostname.split('.').some((label) => label.startsWith('-') || label.endsWith('-'))) return undefined;
  const ascii = domainToASCII(hostname);
  return ascii === '' || ascii === hostname ? undefined : ascii;
}

function matchHost(ruleHost: string, requestHost: string): boolean {
  if (ruleHost === requestHost) return true;
  if (ruleHost.startsWith('*.')) return requestHost.endsWith(ruleHost.slice(1));
  return false;
}

function compilePath(rule: IngressRule, index: number, cache: Map<string, RegExp>): RegExp | undefined {
  const path = rule.path ?? '';
  if (path === '') return undefined;
  const cached = cache.get(path);
  if (cached) return cached;
  try {
    const compiled = compileRe2(path);
    cache.set(path, compiled);
    return compiled;
  } catch (error) {
    if (error instanceof Re2SyntaxError) {
      throw new TunnelbotError(
        'TB_ERR_CLOUDFLARED_INVALID_CONFIG',
        `Rule #${index + 1} has an invalid regex: ${error.message}`,
      );
    }
    if (error instanceof Re2UnsupportedError) {
      throw new TunnelbotError(
        'TB_ERR_CLOUDFLARED_REGEX_UNSUPPORTED',
        `Rule #${index + 1} path ${JSON.stringify(path)}: ${error.message}`,
      );
    }
    throw error;
  }
}

function ruleMatches(
  rule: IngressRule,
  index: number,
  host: string,
  path: string,
  cache: Map<string, RegExp>,
) {
  const ruleHost = rule.hostname ?? '';
  let hostMatch = ruleHost === '' || ruleHost === '*' || matchHost(ruleHost, host);
  if (!hostMatch && !isCatchAll(rule)) {
    const ascii = punycodeHostname(ruleHost);
    hostMatch = ascii !== undefined && matchHost(ascii, host);
  }
  if (!hostMatch) return false;
  const regex = compilePath(rule, index, cache);
  return regex === undefined || regex.test(path);
}

/**
 * The 0-based index of the rule cloudflared picks for `url` (`cloudflared tunnel ingress rule URL`): the port is
 * dropped from the host, the first rule matching host and path wins, and with no match the last rule serves.
 */
export function findMatchingRule(config: CloudflaredConfig, url: string): number {
  let parsed;
  try {
    parsed = parseGoUrl(url);
  } catch (error) {
    if (error instanceof GoUrlError) {
      throw new TunnelbotError(
        'TB_ERR_CLOUDFLARED_INVALID_URL',
        `${url} is not a valid URL: ${error.message}`,
      );
    }
    throw error;
  }
  let host = goHostname(parsed.host);
  if (host === '' && parsed.scheme === '') {
    throw new TunnelbotError(
      'TB_ERR_CLOUDFLARED_INVALID_URL',
      `${url} doesn't have a hostname, consider adding a scheme`,
    );
  }
  if (config.ingress.length === 0) {
    throw new TunnelbotError(
      'TB_ERR_CLOUDFLARED_INVALID_CONFIG',
      "The config file doesn't contain any ingress rules",
    );
  }
  host = splitHostPort(host)?.host ?? host;
  const cache = new Map<string, RegExp>();
  const index = config.ingress.findIndex((rule, ruleIndex) =>
    ruleMatches(rule, ruleIndex, host, parsed.path, cache),
  );
  return index >= 0 ? index : config.ingress.length - 1;
}
