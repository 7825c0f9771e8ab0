import { ErrorCode, type WebAPICallError } from '@slack/web-api';
import { TunnelbotError } from '../../errors.js';

/**
 * What a failed Web API call means for the person and the operator. The web-api client throws four kinds of
 * errors: Slack answered `ok: false` (platform), answered a non-2xx status (HTTP), rate-limited past the retries, or
 * could not be reached at all (request). Each becomes one TunnelbotError code, so the user reads "Slack is not
 * answering" for an outage and the operator reads "add the scope" for a missing scope, never a raw stack.
 */

const AUTH_ERRORS = new Set([
  'not_authed',
  'invalid_auth',
  'account_inactive',
  'token_revoked',
  'token_expired',
  'not_allowed_token_type',
  'team_access_not_granted',
  'invalid_token',
]);
const CHANNEL_ERRORS = new Set([
  'not_in_channel',
  'channel_not_found',
  'is_archived',
  'restricted_action',
  'restricted_action_read_only_channel',
]);
const OUTAGE_ERRORS = new Set(['fatal_error', 'internal_error', 'service_unavailable', 'request_timeout']);

function isWebApiError(error: unknown): error is WebAPICallError {
  if (!(error instanceof Error) || !('code' in error)) return false;
  const code = (error as { code: unknown }).code;
  return (
    code === ErrorCode.PlatformError ||
    code === ErrorCode.HTTPError ||
    code === ErrorCode.RequestError ||
    code === ErrorCode.RateLimitedError
  );
}

/** Maps anything a WebClient call threw to a TunnelbotError naming the method; other errors pass through. */
export function slackCallError(method: string, error: unknown): unknown {
  if (!isWebApiError(error)) return error;
  switch (error.code) {
    case ErrorCode.PlatformError: {
      const code = error.data.error;
      const details = { method, slackError: code };
      if (AUTH_ERRORS.has(code)) {
        return new TunnelbotError(
          'TB_ERR_SLACK_AUTH',
          `Slack refused the bot's token for ${method} (${code}).`,
          {
            details,
          },
        );
      }
      if (code === 'missing_scope') {
        const needed = (error.data as { needed?: unknown }).needed;
        if (typeof needed !== 'string') {
          return new TunnelbotError('TB_ERR_SLACK_SCOPE', `The Slack app lacks a scope ${method} needs.`, {
            details,
          });
        }
        return new TunnelbotError(
          'TB_ERR_SLACK_SCOPE',
          `The Slack app needs the ${needed} scope for ${method}.`,
          {
            details: { ...details, needed },
          },
        );
      }
      if (CHANNEL_ERRORS.has(code)) {
        return new TunnelbotError(
          'TB_ERR_SLACK_NOT_IN_CHANNEL',
          `The bot cannot post in this channel (${code}).`,
          { details },
        );
      }
      if (OUTAGE_ERRORS.has(code) || code === 'ratelimited') {
        return new TunnelbotError(
          'TB_ERR_SLACK_UNAVAILABLE',
          `Slack failed ${method} (${code}); try again in a minute.`,
          {
            details,
          },
        );
      }
      return new TunnelbotError('TB_ERR_SLACK_REQUEST', `Slack refused ${method} with "${code}".`, {
        details,
      });
    }
    case ErrorCode.HTTPError:
      return new TunnelbotError(
        'TB_ERR_SLACK_UNAVAILABLE',
        `Slack answered ${method} with HTTP ${error.statusCode}; try again in a minute.`,
        { details: { method, status: error.statusCode } },
      );
    case ErrorCode.RateLimitedError:
      return new TunnelbotError(
        'TB_ERR_SLACK_UNAVAILABLE',
        `Slack rate-limited ${method} (retry after ${error.retryAfter} s); try again in a minute.`,
        { details: { method, retryAfterSeconds: error.retryAfter } },
      );
    case ErrorCode.RequestError: {
      // The client's timeout aborts the fetch: Slack was reached but did not answer, which is not "could not connect".
      if (error.original.name === 'TimeoutError') {
        return new TunnelbotError(
          'TB_ERR_SLACK_UNAVAILABLE',
          `Slack did not answer ${method} in time; try again in a minute.`,
          { details: { method, timeout: true } },
        );
      }
      return new TunnelbotError(
        'TB_ERR_SLACK_UNAVAILABLE',
        `Could not connect to Slack for ${method} (${connectFailure(error.original)}).`,
        { details: { method, connect: true } },
      );
    }
  }
}

/** fetch says only "fetch failed"; the socket's reason (ECONNREFUSED, ENOTFOUND, …) is in its cause. */
function connectFailure(original: Error): string {
  const cause: unknown = original.cause;
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    return typeof code === 'string' ? `${code}: ${cause.message}` : cause.message;
  }
  return original.message;
}

/** Runs one Web API call and maps its failure. */
export async function callSlack<T>(method: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw slackCallError(method, error);
  }
}
