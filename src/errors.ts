/**
 * The one error type of tunnelbot. Every failure a user can meet has a stable code (never renamed, only added),
 * a human message saying what was wrong, and a fix hint saying what to do. `kind` separates the user's input
 * from upstream outages (Cloudflare, GitHub, Slack) and from our own bugs, so callers know whether a retry or
 * a bug report is the right reaction.
 */

export type ErrorKind = 'input' | 'config' | 'conflict' | 'upstream' | 'internal';

interface CatalogEntry {
  readonly kind: ErrorKind;
  /** One line: what this code means, used in docs/errors.md. */
  readonly title: string;
  /** Default fix hint; a throw site may give a more specific one. */
  readonly fix: string;
}

function entry(kind: ErrorKind, title: string, fix: string): CatalogEntry {
  return { kind, title, fix };
}

export const ERROR_CATALOG = {
  // --- generic ---
  TB_ERR_INTERNAL: entry(
    'internal',
    'An unexpected internal error (a bug in tunnelbot).',
    'Please report it with the request id from the logs at https://github.com/tunnelbot/tunnelbot/issues.',
  ),
  TB_ERR_USAGE: entry(
    'input',
    'A command was called with missing or invalid arguments.',
    'Run `tunnelbot --help` or `tunnelbot <command> --help` for the usage.',
  ),
  TB_ERR_FILE_READ: entry(
    'input',
    'A file could not be read.',
    'Check that the path exists and is readable by the user running tunnelbot.',
  ),

  // --- SOPS / age (src/gitops/sops) ---
  TB_ERR_SOPS_YAML_PARSE: entry(
    'input',
    'The input is not valid YAML.',
    'Fix the YAML syntax at the reported line; `kubectl kustomize` or a YAML linter shows the same error.',
  ),
  TB_ERR_SOPS_NOT_MAPPING: entry(
    'input',
    'A YAML document is not a mapping at the top level, which SOPS cannot encrypt.',
    'Each document of the file must be a mapping (key: value), like a Kubernetes manifest.',
  ),
  TB_ERR_SOPS_NON_STRING_KEY: entry(
    'input',
    'A mapping key is not a string (for example a number or a nested mapping).',
    'Quote the key so it is a string, e.g. "1": value.',
  ),
  TB_ERR_SOPS_DUPLICATE_KEY: entry(
    'input',
    'A mapping has the same key twice.',
    'Remove or rename one of the duplicate keys.',
  ),
  TB_ERR_SOPS_ALREADY_ENCRYPTED: entry(
    'input',
    'The file already has a top-level `sops` key, so it is already encrypted.',
    'Decrypt it first (`tunnelbot decrypt`) or encrypt the plaintext source instead.',
  ),
  TB_ERR_SOPS_BAD_RECIPIENT: entry(
    'config',
    'An age recipient is not a valid age public key.',
    'Use the public key printed by `age-keygen` (it starts with `age1`); never the AGE-SECRET-KEY line.',
  ),
  TB_ERR_SOPS_NO_RECIPIENT: entry(
    'config',
    'No age recipient was given and no `.sops.yaml` creation rule provides one.',
    'Pass `--age age1...`, or add a creation rule with `age:` to the `.sops.yaml` at the root of the repository.',
  ),
  TB_ERR_SOPS_CONFIG: entry(
    'config',
    'The `.sops.yaml` file is invalid (bad YAML, bad regex or conflicting rules).',
    'Fix the reported creation rule; sops itself would reject it the same way.',
  ),
  TB_ERR_SOPS_NO_MATCHING_RULE: entry(
    'config',
    'The `.sops.yaml` has creation rules but none matches the file path.',
    'Add a creation rule whose path_regex matches the file, or a final rule without path_regex as a catch-all.',
  ),
  TB_ERR_SOPS_IDENTITY: entry(
    'input',
    'The age identity file is unreadable or holds no valid AGE-SECRET-KEY line.',
    'Pass the key file written by `age-keygen` (lines starting with AGE-SECRET-KEY-1...).',
  ),
  TB_ERR_SOPS_NO_MATCHING_KEY: entry(
    'input',
    'None of the given identities can unwrap the data key of the file.',
    'Use the private key that matches one of the recipients listed under `sops.age` in the file.',
  ),
  TB_ERR_SOPS_METADATA: entry(
    'input',
    'The `sops` metadata block is missing or malformed.',
    'Only decrypt files written by sops or tunnelbot; the metadata block must not be edited by hand.',
  ),
  TB_ERR_SOPS_VALUE: entry(
    'input',
    'An encrypted value could not be decrypted (wrong format, tampered value, IV or tag).',
    'The file was modified after encryption; restore it from git history or encrypt it again.',
  ),
  TB_ERR_SOPS_MAC_MISMATCH: entry(
    'input',
    'The file failed its integrity check (MAC mismatch): a value, the key order or the metadata was changed.',
    'Restore the file from git history, or decrypt and re-encrypt it after an intended edit.',
  ),

  // --- Cloudflare (src/adapters/cloudflare, src/core/dns-plan.ts, src/core/orphan-tunnels.ts) ---
  TB_ERR_CLOUDFLARE_AUTH: entry(
    'config',
    'Cloudflare rejected the API token (invalid, expired or revoked).',
    'Create an API token with Account › Cloudflare Tunnel › Edit and Zone › DNS › Edit and set CLOUDFLARE_API_TOKEN.',
  ),
  TB_ERR_CLOUDFLARE_PERMISSION: entry(
    'config',
    'The Cloudflare API token lacks a permission the operation needs.',
    'Edit the API token in the Cloudflare dashboard and add the permission named in the message.',
  ),
  TB_ERR_CLOUDFLARE_UPSTREAM: entry(
    'upstream',
    'The Cloudflare API failed, timed out or could not be reached after the configured retries.',
    'Check https://www.cloudflarestatus.com and the network path to the API, then retry; nothing is lost by retrying.',
  ),
  TB_ERR_CLOUDFLARE_RATE_LIMITED: entry(
    'upstream',
    'Cloudflare kept answering 429 (rate limited) after the configured retries.',
    'Wait a few minutes before retrying; Cloudflare allows about 1200 requests per 5 minutes per user.',
  ),
  TB_ERR_CLOUDFLARE_REQUEST: entry(
    'internal',
    'Cloudflare refused a request tunnelbot built (an unexpected 4xx).',
    'Please report it with the Cloudflare error code from the message at https://github.com/tunnelbot/tunnelbot/issues.',
  ),
  TB_ERR_CLOUDFLARE_TUNNEL_NAME: entry(
    'input',
    'A tunnel name is empty, too long or shaped like a UUID, which Cloudflare or cloudflared refuse.',
    'Use a tunnel name of letters, digits, dots, dashes and underscores that is not a UUID.',
  ),
  TB_ERR_CLOUDFLARE_TUNNEL_EXISTS: entry(
    'conflict',
    'A tunnel with this name already exists (Cloudflare error 1013) and its credentials cannot be recovered.',
    'Delete the existing tunnel in Cloudflare Zero Trust › Networks › Tunnels, or give the token the Tunnel › Edit permission so tunnelbot can adopt it.',
  ),
  TB_ERR_CLOUDFLARE_TUNNEL_ACTIVE: entry(
    'conflict',
    'The tunnel still has active connections (Cloudflare error 1022), so it cannot be deleted.',
    'Scale the cloudflared Deployment of this tunnel to 0 (or remove it from git and let Flux prune it), then retry.',
  ),
  TB_ERR_CLOUDFLARE_TUNNEL_NOT_FOUND: entry(
    'conflict',
    'The tunnel does not exist in the Cloudflare account (or was deleted).',
    'Check the tunnel id in the GitOps repository; `/unexpose` and `/expose` the app again to get a new tunnel.',
  ),
  TB_ERR_CLOUDFLARE_TOKEN_FORMAT: entry(
    'upstream',
    'The tunnel token returned by Cloudflare is not base64 JSON with the fields a, t and s.',
    'Retry later; if it persists, delete the tunnel and let tunnelbot create a new one.',
  ),
  TB_ERR_CLOUDFLARE_NO_ZONE: entry(
    'config',
    'No Cloudflare zone visible to the API token contains the hostname.',
    'Add the domain to this Cloudflare account, or give the token Zone › Zone › Read on that zone.',
  ),
  TB_ERR_CLOUDFLARE_DNS_CONFLICT: entry(
    'conflict',
    'A DNS record that tunnelbot does not own already uses the hostname (Cloudflare error 81053, 81054 or 81057).',
    'Delete or rename the existing record in the Cloudflare dashboard if it is no longer needed, then retry.',
  ),
  TB_ERR_CLOUDFLARE_COMMENT_TOO_LONG: entry(
    'config',
    'A DNS record comment exceeds the zone plan limit (Cloudflare error 9313).',
    'Shorten the tunnelbot instance name in the settings so the ownership comment fits in 100 characters.',
  ),
  TB_ERR_CLOUDFLARE_OWNER_MARKER: entry(
    'config',
    'The DNS ownership marker is empty, longer than 100 characters or contains a line break.',
    'Set a short instance name (letters, digits, dots, dashes) in the tunnelbot settings.',
  ),
} as const satisfies Record<string, CatalogEntry>;

export type ErrorCode = keyof typeof ERROR_CATALOG;

export interface TunnelbotErrorOptions {
  /** Overrides the catalog's fix hint with a more specific one. */
  fix?: string;
  cause?: unknown;
  /** Structured, secret-free details for logs and tests. */
  details?: Record<string, unknown>;
}

export class TunnelbotError extends Error {
  override readonly name = 'TunnelbotError';
  readonly code: ErrorCode;
  readonly kind: ErrorKind;
  readonly fix: string;
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options: TunnelbotErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    const known = ERROR_CATALOG[code];
    this.code = code;
    this.kind = known.kind;
    this.fix = options.fix ?? known.fix;
    this.details = options.details ?? {};
  }

  /** The text shown to a person: what went wrong and how to fix it, with the code to search the docs. */
  toUserText(): string {
    return `${this.message}\nFix: ${this.fix} (${this.code})`;
  }
}

export function isTunnelbotError(value: unknown): value is TunnelbotError {
  return value instanceof TunnelbotError;
}

/** Wraps anything thrown into a TunnelbotError; unknown errors become TB_ERR_INTERNAL with the original as cause. */
export function asTunnelbotError(value: unknown): TunnelbotError {
  if (isTunnelbotError(value)) return value;
  const message = value instanceof Error ? value.message : String(value);
  return new TunnelbotError('TB_ERR_INTERNAL', `Unexpected error: ${message}`, { cause: value });
}
