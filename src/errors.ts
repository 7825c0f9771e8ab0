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
    'Run `tunnelbot --help` for the commands; `--help` after a command shows its options.',
  ),
  TB_ERR_CONFIG: entry(
    'config',
    'Environment variables are missing or invalid.',
    'Set the listed environment variables (see .env.example) and restart.',
  ),
  TB_ERR_PORT_IN_USE: entry(
    'config',
    'The port `serve` should listen on is already taken by another process.',
    'Stop the other process (`ss -ltnp` shows which one listens), or set PORT to a free port and restart.',
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
  TB_ERR_SOPS_AGE_CORRUPT: entry(
    'input',
    'The age-encrypted data key in `sops.age` is damaged (armor, header, header MAC or payload), not merely for another key.',
    'Restore the file from git history; if the plaintext is at hand, encrypt it again (`tunnelbot encrypt`).',
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
  TB_ERR_SOPS_UNSUPPORTED_YAML: entry(
    'input',
    'The YAML uses a feature sops cannot encrypt faithfully (a merge key `<<` or a tag other than !!str).',
    'Write the merged keys out and drop custom tags; Kubernetes manifests never need them.',
  ),
  TB_ERR_SOPS_MAC_MISMATCH: entry(
    'input',
    'The file failed its integrity check (MAC mismatch): a value, the key order or the metadata was changed.',
    'Restore the file from git history, or decrypt and re-encrypt it after an intended edit.',
  ),

  // --- settings and planner (src/core, src/gitops) ---
  TB_ERR_SETTINGS: entry(
    'config',
    'The settings file is invalid.',
    'Correct each listed field; deploy/tunnelbot.example.yaml shows every setting with comments.',
  ),
  TB_ERR_PLAN_UNKNOWN_ENV: entry(
    'input',
    'The environment is unknown or was not given while several exist.',
    'Use one of the configured environment names.',
  ),
  TB_ERR_PLAN_INVALID_APP: entry(
    'input',
    'The app name is not a DNS-1123 label or is too long.',
    'Use lowercase letters, digits and "-", starting and ending with a letter or digit, e.g. `linkding`.',
  ),
  TB_ERR_PLAN_INVALID_PORT: entry(
    'input',
    'The port is not a number between 1 and 65535.',
    'Give the Service port, e.g. 9090.',
  ),
  TB_ERR_PLAN_INVALID_NAMESPACE: entry(
    'input',
    'The namespace is not a DNS-1123 label.',
    'Use the namespace of the app, e.g. `ns=linkding`.',
  ),
  TB_ERR_PLAN_INVALID_HOSTNAME: entry(
    'input',
    "The hostname is not a valid DNS name inside the environment's zones, or carries a port or a path.",
    "Give a bare hostname such as linkding.example.com in one of the environment's zones.",
  ),
  TB_ERR_PLAN_HOSTNAME_TAKEN: entry(
    'conflict',
    'The hostname is already routed by a tunnel config in the repository.',
    'Pick another hostname, or /unexpose the app that uses it first.',
  ),
  TB_ERR_PLAN_ALREADY_EXPOSED: entry(
    'conflict',
    'The app already has a tunnel in this environment.',
    'Use /unexpose first to change it, or pick another environment.',
  ),
  TB_ERR_PLAN_REQUEST_PENDING: entry(
    'conflict',
    'Another request for the same app and environment is already waiting for approval.',
    'Approve or reject the open pull request first, then ask again.',
  ),
  TB_ERR_POLICY_SELF_APPROVAL: entry(
    'input',
    'The person who asked for a change tried to approve it, and four-eyes approval is on.',
    'Ask a teammate who may approve to press Approve (settings: `policy.fourEyes`).',
  ),
  TB_ERR_POLICY_NOT_REQUESTER: entry(
    'input',
    'The person may not ask for changes in this environment under the settings policy.',
    'Ask an operator to add your Slack member id or one of your user groups to `policy.request` in the settings file.',
  ),
  TB_ERR_POLICY_NOT_APPROVER: entry(
    'input',
    'The person may not approve or reject changes in this environment under the settings policy.',
    'Ask an operator to add your Slack member id or one of your user groups to `policy.approve` in the settings file.',
  ),
  TB_ERR_POLICY_GROUPS_UNAVAILABLE: entry(
    'config',
    'The policy names a Slack user group whose members cannot be read (a free Slack plan, or a missing scope).',
    'User groups need a paid Slack plan and the `usergroups:read` scope; otherwise list people by member id in `policy`.',
  ),
  TB_ERR_PLAN_NOT_EXPOSED: entry(
    'input',
    'The app has no tunnelbot tunnel in this environment.',
    'Check the app name and environment; the tunnels tunnelbot manages are listed by `/expose list`.',
  ),
  TB_ERR_PLAN_AMBIGUOUS_SERVICE: entry(
    'input',
    'Several Services match the app name and port in different namespaces.',
    'Say which namespace: `ns=linkding` in Slack, `--namespace linkding` with `tunnelbot expose`, `--ns linkding` with `tunnelbot plan`.',
  ),
  TB_ERR_PLAN_SERVICE_PORT: entry(
    'input',
    "The app's Service is in the repository but does not have the port asked for.",
    "Ask for one of the ports the message names, or add the port to the Service's manifest first.",
  ),
  TB_ERR_PLAN_NO_PARENT_KUSTOMIZATION: entry(
    'config',
    'The environment directory has no kustomization.yaml to add the tunnel to.',
    "Create a kustomization.yaml (with `resources: []`) in the environment's directory (`environments[].path` in the settings) and include it in the Flux Kustomization, or fix the path.",
  ),
  TB_ERR_PLAN_INVALID_KUSTOMIZATION: entry(
    'config',
    'A kustomization.yaml cannot be edited safely (invalid YAML, a `{ … }` top level or an unexpected `resources` shape).',
    'Fix the reported kustomization.yaml: block style, one key per line, with `resources` a list of paths.',
  ),
  TB_ERR_PLAN_INVALID_TUNNEL: entry(
    'input',
    'The tunnel id, account tag or tunnel secret is malformed.',
    'The tunnel id is a UUID, the account tag 32 hex characters, the secret base64 of at least 32 bytes.',
  ),
  TB_ERR_PLAN_SOPS_RULE_UNSAFE: entry(
    'config',
    'The `.sops.yaml` rule for the credentials file would encrypt apiVersion/kind/metadata, which kustomize cannot build.',
    'Add `encrypted_regex: ^(data|stringData)$` to the creation rule that matches the tunnel directory.',
  ),
  TB_ERR_PLAN_SHARED_CONFIG: entry(
    'config',
    'The shared cloudflared config of the environment is missing or cannot be edited.',
    'Point `environments[].sharedConfig` at a cloudflared config.yaml or a ConfigMap with data."config.yaml".',
  ),
  TB_ERR_YAML_EDIT: entry(
    'config',
    'A YAML file has a shape tunnelbot cannot edit without rewriting it (flow style, several entries per line).',
    'Write the reported list or mapping in block style (one entry per line), then run the command again.',
  ),

  TB_ERR_SANDBOX_UNAVAILABLE: entry(
    'config',
    'The sandbox (local stand-ins of GitHub, Cloudflare and Slack) is not part of this installation, as in the container image.',
    'Run the demo from a checkout: `git clone https://github.com/tunnelbot/tunnelbot && cd tunnelbot && npm ci && npx tunnelbot demo`.',
  ),

  // --- tunnelbot init (src/core/plan-init.ts) ---
  TB_ERR_INIT_INVALID_ARGUMENT: entry(
    'input',
    '`tunnelbot init` was given an invalid age public key, domain or environment name.',
    'Pass the age public key (age1...) printed by `age-keygen`, a domain such as example.com and a lowercase environment name.',
  ),
  TB_ERR_INIT_NO_FLUX_PATH: entry(
    'config',
    'No Flux Kustomization applies a directory with a kustomization.yaml (or none applies the one given with --path).',
    'Bootstrap Flux first (`flux bootstrap github ...`) with a Kustomization whose spec.path has a kustomization.yaml, or pass --path with the spec.path of one.',
  ),
  TB_ERR_INIT_AMBIGUOUS_PATH: entry(
    'input',
    'Several Flux Kustomizations apply a directory tunnelbot could use, and --path did not say which.',
    'Pass --path with one of the listed directories (the spec.path of the Flux Kustomization that should apply the tunnels).',
  ),
  TB_ERR_INIT_CONFLICT: entry(
    'conflict',
    'The repository already configures this environment, its Flux decryption or its namespace differently from what `tunnelbot init` would write.',
    'Edit the reported file so it agrees (or pass other --env/--path values), then run `tunnelbot init` again.',
  ),
  TB_ERR_INIT_PENDING: entry(
    'conflict',
    'A `tunnelbot init` pull request for this environment is already open.',
    'Merge or close the open pull request, then run `tunnelbot init` again.',
  ),
  // --- cloudflared config (src/gitops/cloudflared) ---
  TB_ERR_CLOUDFLARED_YAML_PARSE: entry(
    'input',
    'The cloudflared config is not valid YAML.',
    'Fix the YAML at the reported line (indent with spaces, never tabs); cloudflared rejects the file the same way.',
  ),
  TB_ERR_CLOUDFLARED_CONFIG_TYPE: entry(
    'input',
    'A key of the cloudflared config has the wrong type (e.g. a list where a string is expected).',
    'Give the key the type cloudflared expects: hostname, path and service are strings, originRequest a mapping.',
  ),
  TB_ERR_CLOUDFLARED_INVALID_CONFIG: entry(
    'input',
    'The cloudflared config fails `cloudflared tunnel ingress validate`.',
    'Fix the reported ingress rule; `tunnelbot validate FILE` re-checks it offline with the same rules as cloudflared.',
  ),
  TB_ERR_CLOUDFLARED_INVALID_RULE: entry(
    'input',
    'The ingress rule to write would make the cloudflared config invalid.',
    'Give the rule a hostname without port or inner wildcard, and a service such as http://app.namespace:8080.',
  ),
  TB_ERR_CLOUDFLARED_NO_INGRESS: entry(
    'input',
    'The cloudflared config has no `ingress` list to edit.',
    'Add an `ingress:` list ending with the catch-all rule `- service: http_status:404`.',
  ),
  TB_ERR_CLOUDFLARED_NO_CATCH_ALL: entry(
    'input',
    'The last ingress rule of the cloudflared config is not a catch-all, so cloudflared rejects the file.',
    'End the `ingress` list with a rule without hostname and path, e.g. `- service: http_status:404`.',
  ),
  TB_ERR_CLOUDFLARED_RULE_NOT_FOUND: entry(
    'input',
    'No ingress rule routes the given hostname.',
    'Check the hostname; `tunnelbot rule FILE https://HOST/` shows which rule serves it today.',
  ),
  TB_ERR_CLOUDFLARED_UNSUPPORTED_LAYOUT: entry(
    'input',
    'The ingress list is written in a YAML form tunnelbot cannot edit without reformatting it (flow style or aliases).',
    'Rewrite the `ingress` list as a block list (`- hostname: …` items) so edits keep the rest of the file intact.',
  ),
  TB_ERR_CLOUDFLARED_INVALID_URL: entry(
    'input',
    'The URL to match against the ingress rules cannot be parsed or has neither a hostname nor a scheme.',
    'Pass a full URL such as https://app.example.com/path.',
  ),
  TB_ERR_CLOUDFLARED_REGEX_UNSUPPORTED: entry(
    'input',
    'A path regex is valid for cloudflared but uses RE2 syntax tunnelbot cannot evaluate.',
    'Put flags such as (?i) at the start of the pattern instead of inside a group.',
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
    'The Cloudflare API answered with a server error (5xx, 408 or 409) after the configured retries.',
    'Check https://www.cloudflarestatus.com, then retry; nothing is lost by retrying.',
  ),
  TB_ERR_CLOUDFLARE_UNREACHABLE: entry(
    'upstream',
    'tunnelbot could not connect to the Cloudflare API (connection refused or dropped, DNS lookup failed, TLS failed or timed out) after the configured retries: Cloudflare never answered.',
    'Check CLOUDFLARE_BASE_URL, DNS and the egress path (proxy, NetworkPolicy, firewall) to api.cloudflare.com, then retry.',
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
    'The tunnel still has active connectors (cloudflared runs), so tunnelbot does not delete it (Cloudflare refuses too, with error 1022).',
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
  // --- Cloudflare Access (src/core/access.ts, src/adapters/cloudflare) ---
  TB_ERR_ACCESS_PUBLIC_FORBIDDEN: entry(
    'input',
    'A public app (access=public) was asked for in an environment whose access mode is not `optional`.',
    "Drop access=public: the app is exposed behind Cloudflare Access. To allow public apps, set the environment's `access.mode: optional` in the settings.",
  ),
  TB_ERR_ACCESS_AUD_MISSING: entry(
    'input',
    'An offline plan in an environment that requires Cloudflare Access was given no Access application tag.',
    "Pass the application's aud tag (Zero Trust › Access › Applications › the app › Overview) as `--access-aud TAG`.",
  ),
  TB_ERR_ACCESS_TEAM_MISMATCH: entry(
    'config',
    'The `access.teamName` of an environment is not the Zero Trust team name of the Cloudflare account.',
    'Set `access.teamName` to the team name shown in Zero Trust › Settings › Custom Pages (the part before .cloudflareaccess.com).',
  ),
  TB_ERR_ACCESS_NOT_SET_UP: entry(
    'config',
    'The Cloudflare account has no Zero Trust organization, so there is no Access team to put in front of apps.',
    'Open Zero Trust in the Cloudflare dashboard once and choose a team name, then retry.',
  ),
  TB_ERR_ACCESS_POLICY_UNKNOWN: entry(
    'config',
    "A policy named in an environment's `access.policies` is not a reusable Access policy of the account.",
    'Create the policy in Zero Trust › Access › Policies, or correct its name in the settings (names match exactly).',
  ),
  TB_ERR_ACCESS_APP_FOREIGN: entry(
    'conflict',
    'An Access application that tunnelbot did not create already covers the hostname, so tunnelbot leaves it alone.',
    'Delete or rename that application in Zero Trust › Access › Applications if it is no longer needed, or expose the app at another hostname.',
  ),
  // --- GitHub (src/adapters/github, src/core/pr-metadata.ts, src/transports/http/github-webhook.ts) ---
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
    'GitHub answered with a server error (5xx).',
    'Check https://www.githubstatus.com, then try again; nothing is lost by retrying.',
  ),
  TB_ERR_GITHUB_UNREACHABLE: entry(
    'upstream',
    'tunnelbot could not connect to the GitHub API (connection refused, DNS lookup failed, TLS failed or timed out): GitHub never answered.',
    'Check GITHUB_API_URL, DNS and the egress path (proxy, NetworkPolicy, firewall) from tunnelbot to the GitHub API, then try again.',
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
  TB_ERR_GITHUB_PR_NOT_REBASABLE: entry(
    'conflict',
    'The pull request conflicts with the default branch and is not the single tunnelbot commit on it that tunnelbot can rebuild.',
    'Reject the request and ask again (`/expose APP PORT` or `/unexpose APP`), so it is planned on the current default branch.',
  ),
  TB_ERR_GITHUB_PR_REBASE_DIFFERS: entry(
    'conflict',
    'Planned again on the current default branch, the request changes other files than its pull request does, so it was not rebased.',
    'Reject the request and ask again (`/expose APP PORT` or `/unexpose APP`), so the new plan is reviewed.',
  ),
  TB_ERR_GITHUB_PR_REBASE_SECRET: entry(
    'conflict',
    "The tunnel credentials Secret of the pull request changed on the default branch meanwhile; tunnelbot cannot write it again (it never keeps a tunnel's secret), so it did not rebase.",
    'Reject the request and ask again with `/expose APP PORT`, which creates a new tunnel and Secret.',
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
  TB_ERR_GITHUB_MERGE_METHOD: entry(
    'config',
    'The merge method the settings ask for (repository.mergeMethod) is turned off in the repository, or the repository allows none.',
    "Turn the method on under the repository's Settings › General › Pull Requests, or change or remove repository.mergeMethod.",
  ),
  TB_ERR_GITHUB_NOT_TUNNELBOT_PR: entry(
    'input',
    'The pull request was not opened by tunnelbot (its branch is not under `tunnelbot/`), so tunnelbot will not act on it.',
    'Merge or close it on GitHub yourself.',
  ),
  // --- Slack (src/transports/slack) ---
  TB_ERR_SLACK_AUTH: entry(
    'config',
    'Slack rejected a token (invalid, revoked, or a bot token where an app-level token belongs).',
    'Reinstall the Slack app and copy the Bot User OAuth Token (xoxb-) and, for Socket Mode, an app-level token with connections:write (xapp-).',
  ),
  TB_ERR_SLACK_SCOPE: entry(
    'config',
    'The Slack app lacks a scope a call needs.',
    'Add the scope named in the message to the app (deploy/slack-app-manifest.yaml lists them) and reinstall it.',
  ),
  TB_ERR_SLACK_NOT_IN_CHANNEL: entry(
    'input',
    'tunnelbot cannot post in the channel: it is not a member, or the channel is archived or unknown.',
    'Invite the bot to the channel (`/invite @tunnelbot`) and run the command again.',
  ),
  TB_ERR_SLACK_FOREIGN_BUTTON: entry(
    'input',
    'A button names a request other than the one of the message it was clicked on (its value was edited by hand).',
    'Use the buttons on the request message itself; nothing was done.',
  ),
  TB_ERR_SLACK_UNAVAILABLE: entry(
    'upstream',
    'Slack failed, timed out, rate-limited the call or could not be reached.',
    'Check https://slack-status.com and the network path to slack.com; tunnelbot retries and reconnects on its own.',
  ),
  TB_ERR_SLACK_REQUEST: entry(
    'internal',
    'Slack refused a call tunnelbot built (an unexpected error code).',
    'Please report it with the Slack error code from the message at https://github.com/tunnelbot/tunnelbot/issues.',
  ),
  TB_ERR_GITHUB_WEBHOOK_INVALID: entry(
    'input',
    'A signed POST to /webhooks/github is not a GitHub delivery tunnelbot can read (not JSON, or a pull request event without the fields GitHub always sends).',
    "Check that the webhook is GitHub's own (Settings > Webhooks, Recent Deliveries shows the payload) and that nothing between GitHub and tunnelbot rewrites the body.",
  ),
  // --- Flux notifications (src/core/flux-event.ts, src/transports/http/flux-webhook.ts) ---
  TB_ERR_FLUX_EVENT_INVALID: entry(
    'input',
    'A POST to /webhooks/flux is not a notification-controller event (not JSON, or a required field is missing or wrong).',
    'Point only a Flux Provider of type `generic-hmac` (or `generic`) at /webhooks/flux; do not override its Content-Type or body.',
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
