/**
 * Why a request got no answer at all, read from the error chain Node's fetch (undici) and the SDKs build: the
 * system call's code (`ECONNREFUSED`, `ENOTFOUND`, …) sits on a nested `cause`. Tells "could not connect" apart
 * from "answered 500", which only a response can say.
 */

const REASONS: readonly [pattern: RegExp, reason: string][] = [
  [/^ECONNREFUSED$/, 'connection refused'],
  [/^(ENOTFOUND|EAI_AGAIN|EAI_NONAME|EAI_FAIL)$/, 'DNS lookup failed'],
  [
    /^(ETIMEDOUT|UND_ERR_CONNECT_TIMEOUT|UND_ERR_HEADERS_TIMEOUT|UND_ERR_BODY_TIMEOUT|TimeoutError)$/,
    'timed out',
  ],
  [/^(ECONNRESET|EPIPE|UND_ERR_SOCKET|UND_ERR_CLOSED)$/, 'connection dropped'],
  [/^(EHOSTUNREACH|ENETUNREACH|ENETDOWN)$/, 'network unreachable'],
  [/(CERT|TLS|SSL|^UNABLE_TO_)/, 'TLS failed'],
];

function codesOf(error: unknown): { codes: string[]; innermost: string } {
  const codes: string[] = [];
  let innermost = '';
  let current: unknown = error;
  for (let depth = 0; depth < 8 && current instanceof Error; depth += 1) {
    const { code } = current as { code?: unknown };
    if (typeof code === 'string') codes.push(code);
    codes.push(current.name);
    innermost = current.message;
    current = current.cause;
  }
  return { codes, innermost };
}

/** "connection refused (connect ECONNREFUSED 127.0.0.1:9)", or the innermost message when no code is known. */
export function connectionFailureReason(error: unknown): string {
  const { codes, innermost } = codesOf(error);
  for (const [pattern, reason] of REASONS) {
    if (codes.some((code) => pattern.test(code))) {
      return innermost && innermost !== reason ? `${reason} (${innermost})` : reason;
    }
  }
  return innermost || String(error);
}
