import type { Octokit } from 'octokit';
import type { DoctorCheck } from '../../core/doctor.js';
import { asTunnelbotError } from '../../errors.js';
import { createOctokit, githubError, type GitHubClientOptions } from './client.js';

interface InstallationAuthentication {
  type: string;
  permissions?: Record<string, string>;
}

function failed(name: string, error: unknown): DoctorCheck {
  const problem = asTunnelbotError(error);
  return { name, ok: false, detail: problem.message, fix: `${problem.fix} (${problem.code})` };
}

function notChecked(name: string, because: string): DoctorCheck {
  return { name, ok: false, detail: `not checked: ${because}`, fix: 'Fix the failed check above first.' };
}

/** What a GitHub App installation token may do; undefined for a personal token, whose scopes GitHub does not list. */
async function installationPermissions(octokit: Octokit): Promise<Record<string, string> | undefined> {
  const auth = (await octokit.auth({ type: 'installation' })) as InstallationAuthentication;
  return auth.type === 'token' && auth.permissions ? auth.permissions : undefined;
}

/** The doctor's own calls: a few seconds per attempt and one retry, so "cannot reach GitHub" comes within seconds. */
export const DOCTOR_GITHUB_TIMEOUT_MS = 5_000;
export const DOCTOR_GITHUB_RETRIES = 1;

/**
 * `tunnelbot doctor`'s GitHub part: the repository is reachable with the configured credentials, the target branch
 * exists, and the credentials may write contents and pull requests (what opening and merging a PR needs).
 */
export async function checkGitHub(
  clientOptions: GitHubClientOptions,
  repo: { owner: string; name: string; branch?: string },
): Promise<DoctorCheck[]> {
  const options: GitHubClientOptions = {
    ...clientOptions,
    timeoutMs: clientOptions.timeoutMs ?? DOCTOR_GITHUB_TIMEOUT_MS,
    retries: clientOptions.retries ?? DOCTOR_GITHUB_RETRIES,
  };
  const fullName = `${repo.owner}/${repo.name}`;
  const names = {
    repo: `GitHub repository ${fullName}`,
    branch: 'GitHub target branch',
    write: 'GitHub write permission (contents, pull requests)',
  };
  let octokit: Octokit;
  let repository: Awaited<ReturnType<Octokit['rest']['repos']['get']>>['data'];
  try {
    octokit = await createOctokit(options);
    repository = (await octokit.rest.repos.get({ owner: repo.owner, repo: repo.name })).data;
  } catch (error) {
    const check = failed(names.repo, githubError(error, `reading repository ${fullName}`));
    return [
      check,
      notChecked(names.branch, 'repository unreachable'),
      notChecked(names.write, 'repository unreachable'),
    ];
  }
  const checks: DoctorCheck[] = [
    { name: names.repo, ok: true, detail: `reachable; default branch ${repository.default_branch}` },
  ];
  const branch = repo.branch ?? repository.default_branch;
  try {
    const { data } = await octokit.rest.repos.getBranch({ owner: repo.owner, repo: repo.name, branch });
    checks.push({ name: names.branch, ok: true, detail: `${branch} at ${data.commit.sha.slice(0, 12)}` });
  } catch (error) {
    checks.push(failed(names.branch, githubError(error, `reading branch ${branch} of ${fullName}`)));
  }
  try {
    const app = options.auth.kind === 'app' ? await installationPermissions(octokit) : undefined;
    const canWrite = app
      ? app['contents'] === 'write' && app['pull_requests'] === 'write'
      : repository.permissions?.push === true;
    const detail = app
      ? `App installation grants contents: ${app['contents'] ?? 'none'}, pull requests: ${app['pull_requests'] ?? 'none'}`
      : `token ${canWrite ? 'may' : 'may not'} push to ${fullName}`;
    checks.push(
      canWrite
        ? { name: names.write, ok: true, detail }
        : {
            name: names.write,
            ok: false,
            detail,
            fix: 'Grant "Contents: read and write" and "Pull requests: read and write" on the repository (TB_ERR_GITHUB_PERMISSION).',
          },
    );
  } catch (error) {
    checks.push(failed(names.write, githubError(error, 'reading the credentials’ permissions')));
  }
  return checks;
}
