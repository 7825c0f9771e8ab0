import { checkCloudflare } from '../../adapters/cloudflare/doctor.js';
import { checkGitHub } from '../../adapters/github/doctor.js';
import type { Config } from '../../config.js';
import type { DoctorCheck } from '../../core/doctor.js';
import { isTunnelbotError } from '../../errors.js';
import { accessOf, environmentZones } from '../../core/settings.js';
import { parseCommandArgs, type CliCommand } from '../command.js';
import { commandLogger, loadServiceConfig } from '../service-io.js';

const usage = `Usage: tunnelbot doctor

Checks the installation with the same environment as \`tunnelbot serve\` (see .env.example): the settings file,
GitHub access to the GitOps repository (reachable, target branch, permission to write contents and pull
requests) and the Cloudflare token (valid, account reachable, tunnels listable, the environments' zones
visible, DNS readable; where an environment uses Cloudflare Access, Access readable and its team name and
policies existing), naming any missing permission. Read-only: it changes nothing. Exit code 1 when a check
fails.
`;

function render(check: DoctorCheck): string {
  const line = `${check.ok ? '✔' : '✖'} ${check.name}: ${check.detail}\n`;
  return check.ok || !check.fix ? line : `${line}    fix: ${check.fix}\n`;
}

export const doctorCommand: CliCommand = {
  usage,
  async run(argv, io) {
    parseCommandArgs('doctor', argv, {});
    let config: Readonly<Config>;
    try {
      config = loadServiceConfig(io, { slack: false, github: false, cloudflare: false });
    } catch (error) {
      const problems = isTunnelbotError(error) ? error.details['problems'] : undefined;
      if (!Array.isArray(problems)) throw error;
      // Invalid values are a checklist like missing ones, each with its own fix.
      for (const problem of problems as string[]) io.stdout(`✖ Configuration: ${problem}\n`);
      io.stdout(`${problems.length} check(s) failed.\n`);
      return 1;
    }
    const logger = commandLogger(io, config);
    const { settings } = config;
    const environments = `${settings.environments.length} environment(s): ${settings.environments
      .map((environment) => `${environment.name} (${environment.tunnelMode}, ${environment.path})`)
      .join(', ')}`;
    const checks: DoctorCheck[] = [
      config.settingsFile === undefined
        ? {
            name: 'Settings',
            ok: false,
            detail: `settings file not set: using defaults (${environments}, no repository)`,
            fix: 'Point TUNNELBOT_SETTINGS at your settings file (deploy/tunnelbot.example.yaml shows every setting).',
          }
        : { name: 'Settings', ok: true, detail: `${config.settingsFile}: ${environments}` },
    ];

    const auth = config.github.auth;
    if (auth.kind === 'token' && auth.token === '') {
      checks.push({
        name: 'GitHub credentials',
        ok: false,
        detail: 'not configured',
        fix: 'Set GITHUB_TOKEN, or GITHUB_APP_ID + GITHUB_APP_PRIVATE_KEY + GITHUB_APP_INSTALLATION_ID.',
      });
    } else if (!settings.repository) {
      checks.push({
        name: 'GitHub repository',
        ok: false,
        detail: 'the settings name no repository',
        fix: 'Add `repository: {owner, name}` to the settings file (TUNNELBOT_SETTINGS).',
      });
    } else {
      checks.push(
        ...(await checkGitHub(
          { auth, ...(config.github.apiUrl && { baseUrl: config.github.apiUrl }), logger },
          {
            owner: settings.repository.owner,
            name: settings.repository.name,
            ...(settings.repository.branch && { branch: settings.repository.branch }),
          },
        )),
      );
    }

    if (config.cloudflare.apiToken === '' || config.cloudflare.accountId === '') {
      checks.push({
        name: 'Cloudflare credentials',
        ok: false,
        detail: 'not configured',
        fix: 'Set CLOUDFLARE_API_TOKEN (Account > Cloudflare Tunnel > Edit, Zone > DNS > Edit) and CLOUDFLARE_ACCOUNT_ID.',
      });
    } else {
      const domains = [...new Set(settings.environments.flatMap(environmentZones))];
      checks.push(
        ...(await checkCloudflare(
          {
            apiToken: config.cloudflare.apiToken,
            accountId: config.cloudflare.accountId,
            ...(config.cloudflare.baseURL && { baseURL: config.cloudflare.baseURL }),
            logger,
          },
          domains,
          settings.environments.flatMap((environment) => {
            const access = accessOf(environment);
            return access.mode === 'off' || access.teamName === undefined
              ? []
              : [{ environment: environment.name, teamName: access.teamName, policies: access.policies }];
          }),
        )),
      );
    }

    for (const check of checks) io.stdout(render(check));
    const failures = checks.filter((check) => !check.ok).length;
    io.stdout(failures === 0 ? 'All checks passed.\n' : `${failures} check(s) failed.\n`);
    return failures === 0 ? 0 : 1;
  },
};
