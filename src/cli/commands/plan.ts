import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { validateAccessAud } from '../../core/access.js';
import type { ChangeSet } from '../../core/changeset.js';
import { planExpose, prepareExpose } from '../../core/plan-expose.js';
import { planUnexpose } from '../../core/plan-unexpose.js';
import { defaultSettings, parseSettings, SETTINGS_FILE, type Settings } from '../../core/settings.js';
import type { RepoSnapshot } from '../../core/snapshot.js';
import { TunnelbotError } from '../../errors.js';
import { accessOption, parseCommandArgs, type CliCommand, type CliIo } from '../command.js';
import { applyChangeSet, readRepoDir, renderDiff } from '../repo-dir.js';

const usage = `Usage:
  tunnelbot plan expose APP PORT --repo DIR [--env NAME] [--host FQDN] [--ns NAMESPACE]
                 --tunnel-id UUID --account-tag TAG --tunnel-secret BASE64 [--settings FILE] [--dry-run]
                 [--access-aud TAG | --access public]
  tunnelbot plan unexpose APP --repo DIR [--env NAME] [--host FQDN] [--settings FILE] [--dry-run]

Writes the pull request tunnelbot would open into DIR's working tree (no commit, no network) and prints its
summary. --dry-run prints a unified diff instead and writes nothing.

Settings come from --settings FILE, else DIR/.tunnelbot.yaml, else the defaults: one environment "default"
at apps/tunnels, one tunnel per app, the hostname given with --host.

The tunnel credentials (--tunnel-id, --account-tag, --tunnel-secret) are needed when a new tunnel is planned;
the secret is written only inside the SOPS-encrypted Secret. Prefer TUNNELBOT_TUNNEL_SECRET in the environment
to --tunnel-secret, which other users of the machine can see in the process list.

Where the environment puts Cloudflare Access in front of its apps (access.mode required or optional),
--access-aud TAG gives the Access application's Application Audience (AUD) tag, which the cloudflared rule then
requires; without it no plan is written. --access public asks for an app without Access, only where the mode is
optional.
`;

const options = {
  repo: { type: 'string' },
  env: { type: 'string' },
  host: { type: 'string' },
  ns: { type: 'string' },
  'tunnel-id': { type: 'string' },
  'account-tag': { type: 'string' },
  'tunnel-secret': { type: 'string' },
  'access-aud': { type: 'string' },
  access: { type: 'string' },
  settings: { type: 'string' },
  'dry-run': { type: 'boolean', default: false },
} as const;

function usageError(message: string): TunnelbotError {
  return new TunnelbotError('TB_ERR_USAGE', message, {
    fix: 'Run `tunnelbot plan --help`.',
  });
}

function loadSettings(io: CliIo, repo: string, file: string | undefined): Settings {
  const path = file !== undefined ? resolve(io.cwd, file) : join(repo, SETTINGS_FILE);
  if (file === undefined && !existsSync(path)) return defaultSettings();
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new TunnelbotError(
      'TB_ERR_FILE_READ',
      `Cannot read the settings file ${path}: ${(error as Error).message}`,
    );
  }
  return parseSettings(text, path);
}

function report(
  io: CliIo,
  snapshot: RepoSnapshot,
  changeSet: ChangeSet,
  repo: string,
  dryRun: boolean,
): void {
  if (dryRun) {
    io.stdout(renderDiff(snapshot, changeSet));
  } else {
    applyChangeSet(repo, changeSet);
    io.stdout(`${changeSet.summary}\n`);
  }
  for (const warning of changeSet.warnings) io.stderr(`warning: ${warning}\n`);
}

export const planCommand: CliCommand = {
  usage,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs('plan', argv, options);
    const [action, app, port, ...extra] = positionals;
    if (values.repo === undefined) throw usageError('--repo DIR is required.');
    const repo = isAbsolute(values.repo) ? values.repo : resolve(io.cwd, values.repo);
    const settings = loadSettings(io, repo, values.settings);

    if (action === 'expose') {
      if (app === undefined || port === undefined || extra.length > 0)
        throw usageError('expects `expose APP PORT`.');
      const access = accessOption('plan', values.access);
      if (access !== undefined && values['access-aud'] !== undefined) {
        throw usageError('--access public and --access-aud exclude each other.');
      }
      const accessAud =
        values['access-aud'] === undefined ? undefined : validateAccessAud(values['access-aud']);
      const snapshot = readRepoDir(repo);
      const target = prepareExpose(
        {
          app,
          port,
          ...(access && { access }),
          ...(values.env !== undefined && { environment: values.env }),
          ...(values.host !== undefined && { hostname: values.host }),
          ...(values.ns !== undefined && { namespace: values.ns }),
        },
        snapshot,
        settings,
      );
      if (accessAud !== undefined && target.protection.kind !== 'access') {
        throw usageError(
          `--access-aud was given, but environment "${target.environment.name}" puts no Cloudflare Access in front of this app.`,
        );
      }
      let credentials;
      if (target.tunnel.action === 'create') {
        const secret = values['tunnel-secret'] ?? io.env['TUNNELBOT_TUNNEL_SECRET'];
        if (
          values['tunnel-id'] === undefined ||
          values['account-tag'] === undefined ||
          secret === undefined
        ) {
          throw usageError(
            'a new tunnel is planned, so --tunnel-id, --account-tag and --tunnel-secret are required.',
          );
        }
        credentials = {
          AccountTag: values['account-tag'],
          TunnelSecret: secret,
          TunnelID: values['tunnel-id'],
          Endpoint: '',
        };
      }
      const plan = await planExpose(target, snapshot, settings, {
        ...(credentials && { credentials }),
        ...(accessAud !== undefined && { accessAud }),
        now: new Date(),
      });
      report(io, snapshot, plan.changeSet, repo, values['dry-run']);
      return 0;
    }
    if (action === 'unexpose') {
      if (app === undefined || port !== undefined) throw usageError('expects `unexpose APP`.');
      const snapshot = readRepoDir(repo);
      const plan = planUnexpose(
        {
          app,
          ...(values.env !== undefined && { environment: values.env }),
          ...(values.host !== undefined && { hostname: values.host }),
        },
        snapshot,
        settings,
      );
      report(io, snapshot, plan.changeSet, repo, values['dry-run']);
      return 0;
    }
    throw usageError(
      `the first argument must be \`expose\` or \`unexpose\`, not ${action === undefined ? 'nothing' : `"${action}"`}.`,
    );
  },
};
