import { isTunnelbotError } from '../../errors.js';
import { GoUrlError, goHostname, goQuote, parseGoUrl, splitHostPort } from './gourl.js';
import type { IngressRule, ValidationResult } from './model.js';
import { parseCloudflaredConfig } from './parse.js';
import { checkRe2Syntax, Re2SyntaxError } from './re2.js';

/** cloudflared's error texts (ingress/ingress.go, ingress/config.go), kept verbatim: users search for them. */
const NO_INGRESS_RULES = "The config file doesn't contain any ingress rules";
const HOSTNAME_WITH_PORT = 'Hostname cannot contain a port';
const BAD_WILDCARD =
  'Hostname patterns can have at most one wildcard character ("*") and it can only be used for subdomains, e.g. "*.example.com"';
const LAST_RULE_NOT_CATCH_ALL =
  'The last ingress rule must match all URLs (i.e. it should not have a hostname or path filter)';
const ACCESS_TEAM_NAME_BLANK = 'access.TeamName cannot be blank when access.audTags are present';

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

export function isCatchAll(rule: IngressRule): boolean {
  const hostname = rule.hostname ?? '';
  return (hostname === '' || hostname === '*') && (rule.path ?? '') === '';
}

/** Go's strconv.Atoi: optional sign, decimal digits, int64 range. */
function goAtoi(text: string): number {
  if (!/^[+-]?[0-9]+$/.test(text)) throw new Error(`strconv.Atoi: parsing ${goQuote(text)}: invalid syntax`);
  const value = BigInt(text);
  if (value < INT64_MIN || value > INT64_MAX) {
    throw new Error(`strconv.Atoi: parsing ${goQuote(text)}: value out of range`);
  }
  return Number(value);
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function bastionMode(rule: IngressRule, defaults: Record<string, unknown> | undefined): boolean {
  const own = rule.originRequest?.bastionMode;
  if (own !== undefined && own !== null) return own === true;
  return defaults?.bastionMode === true;
}

/** Returns cloudflared's error for the rule's `service`, or undefined when it is accepted. */
function serviceError(rule: IngressRule, defaults: Record<string, unknown> | undefined): string | undefined {
  const service = rule.service ?? '';
  if (service.startsWith('unix:') || service.startsWith('unix+tls:')) return undefined;
  if (service.startsWith('http_status:')) {
    let status: number;
    try {
      status = goAtoi(service.slice('http_status:'.length));
    } catch (error) {
      return `invalid HTTP status code: ${(error as Error).message}`;
    }
    return status < 100 || status > 999 ? `invalid HTTP status code: ${status}` : undefined;
  }
  if (service === 'hello_world' || service === 'hello-world' || service === 'socks-proxy') return undefined;
  if (service === 'bastion' || bastionMode(rule, defaults)) return undefined;
  let url;
  try {
    url = parseGoUrl(service);
  } catch (error) {
    if (error instanceof GoUrlError) return error.message;
    throw error;
  }
  if (url.scheme === '' || goHostname(url.host) === '') {
    return `${service} is an invalid address, please make sure it has a scheme and a hostname`;
  }
  if (url.path !== '') {
    return (
      `${service} is an invalid address, ingress rules don't support proxying to a different path on the origin ` +
      "service. The path will be the same as the eyeball request's path"
    );
  }
  return undefined;
}

function accessError(rule: IngressRule): string | undefined {
  const access = asRecord(rule.originRequest?.access);
  if (!access || access.required !== true) return undefined;
  const audTags = Array.isArray(access.audTag) ? access.audTag : [];
  const teamName = typeof access.teamName === 'string' ? access.teamName : '';
  return audTags.length > 0 && teamName === '' ? ACCESS_TEAM_NAME_BLANK : undefined;
}

function hostnameError(rule: IngressRule, index: number, total: number): string | undefined {
  const hostname = rule.hostname ?? '';
  if (splitHostPort(hostname)) return HOSTNAME_WITH_PORT;
  if (hostname.lastIndexOf('*') > 0) return BAD_WILDCARD;
  const catchAll = isCatchAll(rule);
  const last = index === total - 1;
  if (last && !catchAll) return LAST_RULE_NOT_CATCH_ALL;
  if (!last && catchAll) {
    return (
      `Rule #${index + 1} is matching the hostname '${hostname}', but this will match every hostname, ` +
      'meaning the rules which follow it will never be triggered.'
    );
  }
  return undefined;
}

function pathError(rule: IngressRule, index: number): string | undefined {
  const path = rule.path ?? '';
  if (path === '') return undefined;
  try {
    checkRe2Syntax(path);
  } catch (error) {
    if (error instanceof Re2SyntaxError) return `Rule #${index + 1} has an invalid regex: ${error.message}`;
    throw error;
  }
  return undefined;
}

/** The first error `cloudflared tunnel ingress validate` reports for these rules, in cloudflared's check order. */
export function firstIngressError(
  rules: readonly IngressRule[],
  defaults?: Record<string, unknown>,
): string | undefined {
  if (rules.length === 0) return NO_INGRESS_RULES;
  for (const [index, rule] of rules.entries()) {
    const error =
      serviceError(rule, defaults) ??
      accessError(rule) ??
      hostnameError(rule, index, rules.length) ??
      pathError(rule, index);
    if (error !== undefined) return error;
  }
  return undefined;
}

export function validateIngressRules(
  rules: readonly IngressRule[],
  defaults?: Record<string, unknown>,
): ValidationResult {
  const error = firstIngressError(rules, defaults);
  return error === undefined ? { ok: true, warnings: [] } : { ok: false, error, warnings: [] };
}

/** Validates a whole config.yaml; YAML and type errors are reported as the error instead of thrown. */
export function validateCloudflaredConfig(text: string, fileName?: string): ValidationResult {
  let config;
  try {
    config = parseCloudflaredConfig(text, fileName);
  } catch (error) {
    if (isTunnelbotError(error)) return { ok: false, error: error.message, warnings: [] };
    throw error;
  }
  const error = firstIngressError(config.ingress, config.originRequest);
  const warnings = config.unusedKeys;
  return error === undefined ? { ok: true, warnings } : { ok: false, error, warnings };
}
