import { APIConnectionError, APIConnectionTimeoutError, APIError } from './sdk.js';
import { TunnelbotError, type ErrorCode } from '../../errors.js';
import { connectionFailureReason } from '../connection-failure.js';

/** The permissions Cloudflare's dashboard shows, named the way an operator finds them when editing a token. */
export const PERMISSION = {
  tunnel: 'Account › Cloudflare Tunnel › Edit',
  dns: 'Zone › DNS › Edit',
  zoneRead: 'Zone › Zone › Read',
  account: 'Account › Account Settings › Read',
  accessApps: 'Account › Access: Apps and Policies › Edit',
  accessOrganization: 'Account › Access: Organizations, Identity Providers, and Groups › Read',
} as const;

export interface CallContext {
  /** What tunnelbot was doing, phrased to follow "could not …", e.g. `create tunnel "app-prod"`. */
  readonly action: string;
  readonly permission: string;
}

const SPECIFIC_CODES: ReadonlyMap<number, ErrorCode> = new Map<number, ErrorCode>([
  [1013, 'TB_ERR_CLOUDFLARE_TUNNEL_EXISTS'],
  [1022, 'TB_ERR_CLOUDFLARE_TUNNEL_ACTIVE'],
  [81053, 'TB_ERR_CLOUDFLARE_DNS_CONFLICT'],
  [81054, 'TB_ERR_CLOUDFLARE_DNS_CONFLICT'],
  [81057, 'TB_ERR_CLOUDFLARE_DNS_CONFLICT'],
  [9313, 'TB_ERR_CLOUDFLARE_COMMENT_TOO_LONG'],
]);

/** Cloudflare's own error codes of a failed call (the envelope's `errors[].code`). */
export function cloudflareCodes(error: unknown): number[] {
  if (!(error instanceof APIError)) return [];
  return error.errors.map((e) => e.code).filter((code): code is number => typeof code === 'number');
}

export function isNotFound(error: unknown): boolean {
  return error instanceof APIError && error.status === 404;
}

function describeErrors(error: APIError): string {
  const parts = error.errors.map((e) => `${e.code}: ${e.message}`);
  return parts.length > 0 ? parts.join('; ') : 'no error details';
}

/**
 * Turns whatever the SDK threw into the one error type. Messages are built from the HTTP status and Cloudflare's
 * error codes and messages only: never from request options or headers, so the API token cannot leak through them.
 */
export function toTunnelbotError(error: unknown, context: CallContext): TunnelbotError {
  if (error instanceof TunnelbotError) return error;
  const { action } = context;

  // No answer at all (the SDK's connection errors) is told apart from Cloudflare answering 5xx below.
  if (error instanceof APIConnectionTimeoutError) {
    return new TunnelbotError(
      'TB_ERR_CLOUDFLARE_UNREACHABLE',
      `Could not ${action}: could not connect to the Cloudflare API (timed out, no answer in time), also after retries.`,
      { cause: error, details: { action, reason: 'no answer' } },
    );
  }
  if (error instanceof APIConnectionError) {
    return new TunnelbotError(
      'TB_ERR_CLOUDFLARE_UNREACHABLE',
      `Could not ${action}: could not connect to the Cloudflare API (${connectionFailureReason(error)}), also after retries.`,
      { cause: error, details: { action, reason: 'no answer' } },
    );
  }
  if (!(error instanceof APIError)) {
    const message = error instanceof Error ? error.message : String(error);
    return new TunnelbotError('TB_ERR_INTERNAL', `Could not ${action}: ${message}`, { cause: error });
  }

  const status = error.status ?? 0;
  const codes = cloudflareCodes(error);
  const details = { action, status, codes };
  const said = describeErrors(error);

  const specific = codes.map((code) => SPECIFIC_CODES.get(code)).find((code) => code !== undefined);
  if (specific !== undefined) {
    return new TunnelbotError(specific, `Could not ${action}: Cloudflare answered ${status} (${said}).`, {
      cause: error,
      details,
    });
  }
  if (status === 401) {
    return new TunnelbotError(
      'TB_ERR_CLOUDFLARE_AUTH',
      `Could not ${action}: Cloudflare rejected the API token (HTTP 401, ${said}).`,
      { cause: error, details },
    );
  }
  if (status === 403) {
    return new TunnelbotError(
      'TB_ERR_CLOUDFLARE_PERMISSION',
      `Could not ${action}: the API token lacks the permission ${context.permission} (HTTP 403, ${said}).`,
      {
        cause: error,
        details: { ...details, permission: context.permission },
        fix: `Edit the API token in the Cloudflare dashboard (My Profile › API Tokens) and add ${context.permission}.`,
      },
    );
  }
  if (status === 429) {
    return new TunnelbotError(
      'TB_ERR_CLOUDFLARE_RATE_LIMITED',
      `Could not ${action}: Cloudflare rate limited the requests (HTTP 429), also after retries.`,
      { cause: error, details },
    );
  }
  if (status >= 500 || status === 408 || status === 409) {
    return new TunnelbotError(
      'TB_ERR_CLOUDFLARE_UPSTREAM',
      `Could not ${action}: Cloudflare answered ${status} (${said}), also after retries.`,
      { cause: error, details },
    );
  }
  return new TunnelbotError(
    'TB_ERR_CLOUDFLARE_REQUEST',
    `Could not ${action}: Cloudflare answered ${status} (${said}).`,
    {
      cause: error,
      details,
    },
  );
}
