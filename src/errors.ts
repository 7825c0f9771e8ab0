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

  // --- GitHub (src/adapters/github, src/core/pr-metadata.ts, src/server.ts) ---
  TB_ERR_GITHUB_AUTH: entry(
    'config',
    'GitHub rejected the credentials (bad, expired or revoked token, or a wrong GitHub App id/key/installation).',
    'Create a new token (or check GITHUB_APP_ID, GITHUB_APP_PRIVATE_KEY and GITHUB_APP_INSTALLATION_ID) and restart.',
  ),
  TB_ERR_GITHUB_PERMISSION: entry(
    'config',
    'The GitHub credentials may read the repository but not do what was asked (write contents or pull requests).',
    'Grant the token or GitHub App "Contents: read and write" and "Pull requests: read and write" on the GitOps repository.',
  ),
  TB_ERR_GITHUB_NOT_FOUND: entry(
    'config',
    'A GitHub repository, branch, commit or pull request does not exist or is not visible to the credentials.',
    'Check the repository owner/name and branch in the settings, and that the token or App installation covers the repository.',
  ),
  TB_ERR_GITHUB_RATE_LIMITED: entry(
    'upstream',
    'GitHub rate-limited the request.',
    'Wait for the limit to reset (a few minutes at most for secondary limits) and try again.',
  ),
  TB_ERR_GITHUB_UNAVAILABLE: entry(
    'upstream',
    'GitHub failed or could not be reached (5xx, timeout or network error).',
    'Check https://www.githubstatus.com and the network path to the GitHub API, then try again.',
  ),
  TB_ERR_GITHUB_REJECTED: entry(
    'upstream',
    'GitHub refused a request as invalid (422), for example a repository rule or a missing file to delete.',
    'Read the GitHub message in the error; check the repository rules and that the default branch has not changed shape.',
  ),
  TB_ERR_GITHUB_PR_METADATA: entry(
    'input',
    'A pull request body carries a tunnelbot block that is malformed, duplicated or fails validation (tampered).',
    'Restore the `<!-- tunnelbot:{...} -->` block from the PR history, or close the PR and run the request again.',
  ),
  TB_ERR_GITHUB_BRANCH_TAKEN: entry(
    'conflict',
    'The branch for this request already carries a pull request for a different request.',
    'Finish or close the other pull request first, then run the request again.',
  ),
  TB_ERR_GITHUB_EMPTY_CHANGE_SET: entry(
    'input',
    'The change set has no file changes, so there is nothing to open a pull request for.',
    'Nothing needs to change in the GitOps repository; check the request.',
  ),
  TB_ERR_GITHUB_PR_HEAD_CHANGED: entry(
    'conflict',
    'The pull request changed since it was shown to the approver, so it was not merged.',
    'Review the pull request again in its updated state and approve the new version.',
  ),
  TB_ERR_GITHUB_PR_NOT_MERGEABLE: entry(
    'conflict',
    'GitHub refuses to merge the pull request (merge conflicts, required checks or a repository rule).',
    'Open the pull request on GitHub to see what blocks it; rebuild the request on the current default branch if it conflicts.',
  ),
  TB_ERR_GITHUB_PR_ALREADY_MERGED: entry(
    'conflict',
    'The pull request was already merged (by someone else, or by an earlier click).',
    'Nothing to do: the change is on the default branch. Check the pull request on GitHub.',
  ),
  TB_ERR_GITHUB_PR_CLOSED: entry(
    'conflict',
    'The pull request was closed without merging.',
    'Run the request again to open a new pull request.',
  ),
  TB_ERR_GITHUB_NOT_TUNNELBOT_PR: entry(
    'input',
    'The pull request was not opened by tunnelbot (its branch is not under `tunnelbot/`), so tunnelbot will not act on it.',
    'Merge or close it on GitHub yourself.',
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
