import { TunnelbotError } from '../errors.js';
import { DNS_LABEL, DNS_NAME } from './dns-names.js';
import { environmentZones, type Environment } from './settings.js';

/**
 * Validation of what a person types (app, port, hostname, namespace) and of tunnel credentials, plus the names
 * tunnelbot derives from them. Kubernetes object names built from the app must stay valid DNS-1123 labels.
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ACCOUNT_TAG = /^[0-9a-f]{32}$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Lower case for names typed by a person: A-Z only. `String#toLowerCase` maps a few other letters onto ASCII (the
 * Kelvin sign U+212A becomes "k"), which would turn a pasted homoglyph into another app or host than the one shown.
 */
export function asciiLowerCase(text: string): string {
  return text.replace(/[A-Z]+/g, (letters) => letters.toLowerCase());
}

/** `cloudflared-<app>` must fit a 63-character label (pod hostnames, labels). */
export const MAX_APP_NAME_LENGTH = 63 - 'cloudflared-'.length;

export function validateAppName(app: string): string {
  if (!DNS_LABEL.test(app) || app.length > MAX_APP_NAME_LENGTH) {
    const why =
      app.length > MAX_APP_NAME_LENGTH
        ? `it is ${app.length} characters long (at most ${MAX_APP_NAME_LENGTH})`
        : 'it must be lowercase letters, digits and "-", starting and ending with a letter or digit';
    throw new TunnelbotError('TB_ERR_PLAN_INVALID_APP', `"${app}" is not a valid app name: ${why}.`);
  }
  return app;
}

export function validatePort(port: string | number): number {
  const text = String(port).trim();
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isInteger(value) || value < 1 || value > 65535) {
    throw new TunnelbotError(
      'TB_ERR_PLAN_INVALID_PORT',
      `"${text}" is not a port: use a number from 1 to 65535.`,
    );
  }
  return value;
}

/** An environment name as typed (a DNS label, any ASCII case), lowercased; whether it exists is decided later. */
export function validateEnvironmentName(value: string): string {
  const name = asciiLowerCase(value);
  if (!DNS_LABEL.test(name)) {
    throw new TunnelbotError('TB_ERR_PLAN_UNKNOWN_ENV', `"${value}" is not an environment name.`, {
      fix: 'Use the name of a configured environment, e.g. `env=staging`; `/expose list` shows them.',
    });
  }
  return name;
}

export function validateNamespace(namespace: string): string {
  if (!DNS_LABEL.test(namespace)) {
    throw new TunnelbotError(
      'TB_ERR_PLAN_INVALID_NAMESPACE',
      `"${namespace}" is not a valid Kubernetes namespace.`,
    );
  }
  return namespace;
}

/** A typed hostname as tunnelbot stores it (lowercase, no trailing dot), or an error saying what is wrong with it. */
export function normalizeHostname(requested: string): string {
  const hostname = asciiLowerCase(requested.trim()).replace(/\.$/, '');
  if (/[:/?#@\s]/.test(hostname)) {
    throw new TunnelbotError(
      'TB_ERR_PLAN_INVALID_HOSTNAME',
      `"${requested}" is not a bare hostname: it must not carry a scheme, port, path or spaces.`,
    );
  }
  if (!DNS_NAME.test(hostname)) {
    throw new TunnelbotError('TB_ERR_PLAN_INVALID_HOSTNAME', `"${requested}" is not a valid DNS hostname.`);
  }
  return hostname;
}

/** The hostname to expose: the one given, else `<app>.<domain>`; always inside the environment's zones. */
export function resolveHostname(
  app: string,
  environment: Environment,
  requested: string | undefined,
): string {
  const zones = environmentZones(environment);
  if (requested === undefined) {
    if (!environment.domain) {
      throw new TunnelbotError(
        'TB_ERR_PLAN_INVALID_HOSTNAME',
        `Environment "${environment.name}" has no domain, so there is no default hostname for "${app}".`,
        {
          fix: 'Give the hostname (`--host app.example.com`), or set `domain` for the environment in the settings.',
        },
      );
    }
    return `${app}.${environment.domain}`;
  }
  const hostname = normalizeHostname(requested);
  if (zones.length > 0 && !zones.some((zone) => hostname === zone || hostname.endsWith(`.${zone}`))) {
    throw new TunnelbotError(
      'TB_ERR_PLAN_INVALID_HOSTNAME',
      `"${hostname}" is outside the zones of environment "${environment.name}" (${zones.join(', ')}).`,
      { fix: `Use a hostname ending in ${zones.map((zone) => `.${zone}`).join(' or ')}.` },
    );
  }
  return hostname;
}

export interface TunnelCredentials {
  readonly AccountTag: string;
  readonly TunnelSecret: string;
  readonly TunnelID: string;
  readonly Endpoint: string;
}

/** A Cloudflare tunnel id (a UUID, any case), as opposed to a tunnel name. */
export function isTunnelId(value: string): boolean {
  return UUID.test(value.toLowerCase());
}

function validateTunnelId(id: string): string {
  if (!UUID.test(id)) {
    throw new TunnelbotError('TB_ERR_PLAN_INVALID_TUNNEL', `The tunnel id "${id}" is not a lowercase UUID.`);
  }
  return id;
}

/** Checks the credentials without ever echoing the secret. */
export function validateTunnelCredentials(credentials: TunnelCredentials): TunnelCredentials {
  validateTunnelId(credentials.TunnelID);
  if (!ACCOUNT_TAG.test(credentials.AccountTag)) {
    throw new TunnelbotError(
      'TB_ERR_PLAN_INVALID_TUNNEL',
      `The account tag "${credentials.AccountTag}" is not 32 lowercase hex characters.`,
    );
  }
  const secret = credentials.TunnelSecret;
  if (!BASE64.test(secret) || Buffer.from(secret, 'base64').length < 32) {
    throw new TunnelbotError(
      'TB_ERR_PLAN_INVALID_TUNNEL',
      'The tunnel secret is not base64 of at least 32 bytes (its value is not shown).',
      { fix: 'Pass the TunnelSecret of the tunnel credentials, e.g. from `openssl rand -base64 32`.' },
    );
  }
  return credentials;
}

export function tunnelName(namePrefix: string, environment: string, app: string): string {
  return `${namePrefix}-${environment}-${app}`;
}

export function serviceUrl(service: string, namespace: string, port: number): string {
  return `http://${service}.${namespace}.svc.cluster.local:${port}`;
}
