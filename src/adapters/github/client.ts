import { App, Octokit, RequestError } from 'octokit';
import { TunnelbotError, isTunnelbotError } from '../../errors.js';
import type { Logger } from '../../log.js';
import { connectionFailureReason } from '../connection-failure.js';

export type GitHubAuth =
  | { kind: 'token'; token: string }
  /** A GitHub App installation: short-lived tokens, minted and renewed by octokit from the App's private key. */
  | { kind: 'app'; appId: number | string; privateKey: string; installationId: number };

export interface GitHubClientOptions {
  auth: GitHubAuth;
  /** API root; https://api.github.com unless GitHub Enterprise or a fake (the composition root maps GITHUB_API_URL). */
  baseUrl?: string;
  logger: Logger;
  /**
   * octokit's retry and rate-limit throttling plugins. On in production; tests and benchmarks turn them off because
   * throttling spaces writes a second apart and retries turn injected faults into minutes of backoff.
   */
  retryAndThrottle?: boolean;
  /** Per attempt, connecting included; 10 s when not given. `tunnelbot doctor` uses a few seconds. */
  timeoutMs?: number;
  /** Retries of a failed request (5xx, no answer); octokit's 3 when not given. */
  retries?: number;
}

export const DEFAULT_GITHUB_API_URL = 'https://api.github.com';
/** GitHub answers API calls in well under a second; a call still open after this is an outage, not a slow day. */
export const DEFAULT_GITHUB_TIMEOUT_MS = 10_000;

/** fetch with a deadline per attempt: without one, an address that drops packets holds a request for minutes. */
function fetchWithTimeout(timeoutMs: number): typeof fetch {
  return (input, init) => {
    const deadline = AbortSignal.timeout(timeoutMs);
    const signal = init?.signal ? AbortSignal.any([init.signal, deadline]) : deadline;
    return fetch(input, { ...init, signal });
  };
}

// 405 (not mergeable) and 409 (head moved) are answers, not outages: retrying them only delays the user's error.
const DO_NOT_RETRY = [400, 401, 403, 404, 405, 409, 410, 422, 451];

export async function createOctokit(options: GitHubClientOptions): Promise<Octokit> {
  const logger = options.logger.child({ component: 'github' });
  const resilient = options.retryAndThrottle ?? true;
  const onLimit = (
    retryAfter: number,
    request: { method: string; url: string },
    _octokit: unknown,
    count: number,
  ) => {
    logger.warn({ retryAfter, method: request.method, url: request.url }, 'GitHub rate limit hit');
    return count < 1;
  };
  const Configured = Octokit.defaults({
    baseUrl: options.baseUrl ?? DEFAULT_GITHUB_API_URL,
    userAgent: 'tunnelbot',
    request: { fetch: fetchWithTimeout(options.timeoutMs ?? DEFAULT_GITHUB_TIMEOUT_MS) },
    log: {
      debug: (message: string) => logger.debug(message),
      info: (message: string) => logger.debug(message),
      warn: (message: string) => logger.warn(message),
      error: (message: string) => logger.error(message),
    },
    throttle: resilient
      ? { onRateLimit: onLimit, onSecondaryRateLimit: onLimit }
      : { enabled: false as const },
    retry: resilient
      ? { doNotRetry: DO_NOT_RETRY, ...(options.retries !== undefined && { retries: options.retries }) }
      : { enabled: false },
  });
  if (options.auth.kind === 'token') return new Configured({ auth: options.auth.token });
  const app = new App({
    appId: options.auth.appId,
    privateKey: options.auth.privateKey,
    Octokit: Configured,
  });
  try {
    return (await app.getInstallationOctokit(options.auth.installationId)) as Octokit;
  } catch (error) {
    throw githubError(
      error,
      `authenticating as GitHub App ${options.auth.appId} installation ${options.auth.installationId}`,
    );
  }
}

/**
 * GitHub's message of an answer, with the messages of its `errors` array: a 422 says only "Validation Failed" at
 * the top and puts the reason ("A pull request already exists for …") in `errors[].message`, and some endpoints
 * list plain strings there.
 */
function githubMessage(error: RequestError): string {
  const data = error.response?.data as { message?: unknown; errors?: unknown } | undefined;
  const top = typeof data?.message === 'string' ? data.message : `HTTP ${error.status}`;
  const reasons = (Array.isArray(data?.errors) ? (data.errors as unknown[]) : []).flatMap((item) => {
    if (typeof item === 'string') return [item];
    const message = (item as { message?: unknown } | null)?.message;
    return typeof message === 'string' && message !== top ? [message] : [];
  });
  return reasons.length > 0 ? `${top}: ${reasons.join('; ')}` : top;
}

export function isRequestError(error: unknown, status?: number): error is RequestError {
  return error instanceof RequestError && (status === undefined || error.status === status);
}

/**
 * GitHub's own message of a failed request including its `errors[].message` reasons, for matching documented texts
 * such as "Reference already exists" or "A pull request already exists for …".
 */
export function requestMessage(error: unknown): string {
  return isRequestError(error) ? githubMessage(error) : '';
}

/**
 * Turns an octokit failure into a TunnelbotError naming what was being done. Only GitHub's response message and
 * request id are kept: the request itself (with its authorization header) is never attached or logged.
 */
export function githubError(error: unknown, doing: string): TunnelbotError {
  if (isTunnelbotError(error)) return error;
  // octokit reports a request that got no answer as a RequestError with status 500 and no response: it is not
  // GitHub answering 500, and the fix is on our side of the network.
  if (!(error instanceof RequestError) || error.response === undefined) {
    return new TunnelbotError(
      'TB_ERR_GITHUB_UNREACHABLE',
      `Could not connect to GitHub while ${doing}: ${connectionFailureReason(error)}.`,
      { details: { reason: 'no answer' } },
    );
  }
  const message = githubMessage(error);
  const headers = error.response?.headers ?? {};
  const details = { status: error.status, githubRequestId: headers['x-github-request-id'] };
  const text = `GitHub answered ${error.status} while ${doing}: ${message}.`;
  const rateLimited =
    error.status === 429 ||
    (error.status === 403 && (headers['x-ratelimit-remaining'] === '0' || /rate limit/i.test(message)));
  if (rateLimited) return new TunnelbotError('TB_ERR_GITHUB_RATE_LIMITED', text, { details });
  switch (error.status) {
    case 401:
      return new TunnelbotError('TB_ERR_GITHUB_AUTH', text, { details });
    case 403:
      return new TunnelbotError('TB_ERR_GITHUB_PERMISSION', text, { details });
    case 404:
      return new TunnelbotError('TB_ERR_GITHUB_NOT_FOUND', text, { details });
    case 422:
      return new TunnelbotError('TB_ERR_GITHUB_REJECTED', text, { details });
    default:
      return new TunnelbotError(
        error.status >= 500 || error.status === 0 ? 'TB_ERR_GITHUB_UNAVAILABLE' : 'TB_ERR_GITHUB_REJECTED',
        text,
        {
          details,
        },
      );
  }
}
