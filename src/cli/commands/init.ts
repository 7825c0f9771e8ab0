import { isAbsolute, resolve } from 'node:path';
import { createGitProvider } from '../../main.js';
import type { ChangeSet } from '../../core/changeset.js';
import {
  generateWebhookToken,
  planInit,
  type AgeKeySecret,
  type InitPlan,
  type InitRequest,
} from '../../core/plan-init.js';
import { initBranchName } from '../../core/pr-metadata.js';
import { TunnelbotError } from '../../errors.js';
import { parseCommandArgs, type CliCommand, type CliIo } from '../command.js';
import { applyChangeSet, readRepoDir, renderDiff } from '../repo-dir.js';
import { commandLogger, loadServiceConfig } from '../service-io.js';

const usage = `Usage:
  tunnelbot init --age RECIPIENT --domain DOMAIN (--access-team TEAM --access-policy NAME... | --no-access)
                 [--env NAME] [--path DIR] [--repo DIR] [--dry-run]

Readies a Flux repository for tunnelbot: SOPS decryption on the Flux Kustomization that applies DIR (--path, its
spec.path; found when only one fits), a .sops.yaml creation rule for the tunnel directory with the age public key
RECIPIENT, the Flux notification Provider (generic-hmac), Alert and SOPS-encrypted token Secret that point
notification-controller at tunnelbot, a tunnels directory listed in DIR's kustomization.yaml, and the settings file
.tunnelbot.yaml. Parts that exist are kept; a second run changes nothing.

The environment is written with access.mode required: every app it exposes sits behind Cloudflare Access, and
cloudflared itself refuses requests without a valid token. --access-team is the Zero Trust team name (TEAM in
TEAM.cloudflareaccess.com), --access-policy (repeatable) an existing reusable Access policy that says who gets in.
--no-access writes access.mode off instead: every app of the environment is public.

With --repo DIR it writes into that local checkout (no commit, no network; --dry-run prints the diff instead).
Without --repo it opens one pull request on the repository of the settings file, with the same environment as
\`tunnelbot serve\` (GITHUB_TOKEN or a GitHub App, TUNNELBOT_SETTINGS).

The Flux webhook token comes from FLUX_WEBHOOK_TOKEN, or is generated and printed once: set the same value as
FLUX_WEBHOOK_TOKEN in tunnelbot's environment. tunnelbot never reads the age private key; init prints the kubectl
command that gives it to Flux.
`;

const options = {
  age: { type: 'string' },
  domain: { type: 'string' },
  env: { type: 'string' },
  path: { type: 'string' },
  repo: { type: 'string' },
  'access-team': { type: 'string' },
  'access-policy': { type: 'string', multiple: true },
  'no-access': { type: 'boolean', default: false },
  'dry-run': { type: 'boolean', default: false },
} as const;

function usageError(message: string): TunnelbotError {
  return new TunnelbotError('TB_ERR_USAGE', message, {
    fix: 'Run `tunnelbot init --help`.',
  });
}

/** The token the plan encrypts: the operator's FLUX_WEBHOOK_TOKEN, else a new one to show once. */
function webhookToken(io: CliIo): WebhookToken {
  const given = io.env['FLUX_WEBHOOK_TOKEN'];
  if (given === undefined || given === '') return { token: generateWebhookToken(), generated: true };
  if (given.length < 16) {
    throw new TunnelbotError(
      'TB_ERR_INIT_INVALID_ARGUMENT',
      'FLUX_WEBHOOK_TOKEN is shorter than 16 characters.',
      {
        fix: 'Use a long random value (e.g. `openssl rand -base64 32`), or unset it and init generates one.',
      },
    );
  }
  return { token: given, generated: false };
}

function ageKeyCommands(secrets: readonly AgeKeySecret[]): string {
  if (secrets.length === 0) return '';
  const commands = secrets.map(
    (secret) =>
      `  kubectl create secret generic ${secret.name} --namespace=${secret.namespace} --from-file=age.agekey=./age.agekey`,
  );
  return [
    '',
    'Give Flux the age private key (tunnelbot never reads it); ./age.agekey is the file `age-keygen -o age.agekey` wrote:',
    ...commands,
    '',
  ].join('\n');
}

interface WebhookToken {
  readonly token: string;
  readonly generated: boolean;
}

/** What to say about the token; a generated one is printed only when it was written (the one "shown once" line). */
function tokenLines(plan: InitPlan, token: WebhookToken, written: boolean): string {
  if (plan.webhookSecretPath === undefined) return '';
  if (!token.generated) {
    return `\nThe Flux webhook token is the value of FLUX_WEBHOOK_TOKEN (encrypted in ${plan.webhookSecretPath}).\n`;
  }
  if (!written)
    return `\nA Flux webhook token will be generated and shown once when the change is written.\n`;
  return [
    '',
    `The Flux webhook token, shown this once (git holds it only SOPS-encrypted, in ${plan.webhookSecretPath}).`,
    "Set it in tunnelbot's environment:",
    `FLUX_WEBHOOK_TOKEN=${token.token}`,
    '',
  ].join('\n');
}

function warn(io: CliIo, changeSet: ChangeSet): void {
  for (const warning of changeSet.warnings) io.stderr(`warning: ${warning}\n`);
}

async function initLocal(io: CliIo, request: InitRequest, repoArg: string, dryRun: boolean): Promise<number> {
  const repo = isAbsolute(repoArg) ? repoArg : resolve(io.cwd, repoArg);
  const snapshot = readRepoDir(repo);
  const token = webhookToken(io);
  const plan = await planInit(request, snapshot, { webhookToken: token.token, now: new Date() });
  if (dryRun) {
    io.stdout(renderDiff(snapshot, plan.changeSet));
    io.stdout(tokenLines(plan, token, false));
  } else {
    applyChangeSet(repo, plan.changeSet);
    io.stdout(`${plan.changeSet.summary}\n`);
    io.stdout(tokenLines(plan, token, true));
  }
  io.stdout(ageKeyCommands(plan.ageKeySecrets));
  warn(io, plan.changeSet);
  return 0;
}

async function initPullRequest(io: CliIo, request: InitRequest, dryRun: boolean): Promise<number> {
  const config = loadServiceConfig(io, { slack: false, github: true, cloudflare: false });
  const { git, repository } = createGitProvider(
    config,
    commandLogger(io, config),
    'Add `repository: {owner, name}` to the file TUNNELBOT_SETTINGS points at, or pass --repo DIR.',
  );
  const base = await git.defaultBranch();
  const snapshot = await git.readSnapshot(base.sha);
  const token = webhookToken(io);
  const plan = await planInit({ ...request, repository }, snapshot, {
    webhookToken: token.token,
    now: new Date(),
  });
  if (dryRun) {
    io.stdout(renderDiff(snapshot, plan.changeSet));
    io.stdout(tokenLines(plan, token, false));
  } else if (plan.changeSet.files.length === 0) {
    io.stdout(`${plan.changeSet.summary}\n`);
  } else {
    const branch = initBranchName(plan.environment);
    const open = await git.findOpenPr(branch);
    if (open) {
      throw new TunnelbotError(
        'TB_ERR_INIT_PENDING',
        `The init pull request for environment "${plan.environment}" is already open: ${open.url}.`,
        { fix: `Merge or close ${open.url}, then run \`tunnelbot init\` again.` },
      );
    }
    const pr = await git.openChangeSetPr({
      metadata: { version: 1, action: 'init', environment: plan.environment },
      title: `Ready the repository for tunnelbot (${plan.environment})`,
      summary: plan.changeSet.summary,
      baseSha: base.sha,
      changeSet: plan.changeSet,
    });
    io.stdout(`${plan.changeSet.summary}\n\nPull request: ${pr.url}\n`);
    // The token is worth showing only if the pull request carries this very Secret, not one of an earlier attempt.
    let carriesOurs = plan.webhookSecretPath === undefined;
    if (plan.webhookSecretPath !== undefined) {
      const written = plan.changeSet.files.find((file) => file.path === plan.webhookSecretPath);
      const head = await git.readFiles(pr.headSha, [plan.webhookSecretPath]);
      carriesOurs =
        written !== undefined && 'content' in written && head.get(plan.webhookSecretPath) === written.content;
    }
    if (carriesOurs) io.stdout(tokenLines(plan, token, true));
    else
      io.stderr(
        `warning: ${pr.url} carries a Flux webhook token from an earlier attempt, which cannot be shown again; close it, delete its branch and run init again.\n`,
      );
  }
  io.stdout(ageKeyCommands(plan.ageKeySecrets));
  warn(io, plan.changeSet);
  return 0;
}

function initAccess(team: string | undefined, policies: string[], none: boolean): InitRequest['access'] {
  if (none) {
    if (team !== undefined || policies.length > 0)
      throw usageError('--no-access excludes --access-team and --access-policy.');
    return 'off';
  }
  if (team === undefined || policies.length === 0) {
    throw usageError(
      'say who may reach the exposed apps: --access-team TEAM and at least one --access-policy NAME (or --no-access for public apps).',
    );
  }
  return { teamName: team, policies };
}

export const initCommand: CliCommand = {
  usage,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs('init', argv, options);
    if (positionals.length > 0) throw usageError(`unexpected argument "${positionals[0]}".`);
    if (values.age === undefined)
      throw usageError('--age RECIPIENT (the age public key of the Flux key) is required.');
    if (values.domain === undefined) throw usageError('--domain DOMAIN is required.');
    const request: InitRequest = {
      ageRecipient: values.age,
      domain: values.domain,
      access: initAccess(values['access-team'], values['access-policy'] ?? [], values['no-access']),
      ...(values.env !== undefined && { environment: values.env }),
      ...(values.path !== undefined && { path: values.path }),
    };
    return values.repo !== undefined
      ? initLocal(io, request, values.repo, values['dry-run'])
      : initPullRequest(io, request, values['dry-run']);
  },
};
