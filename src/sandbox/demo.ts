import { CloudflareAdapter } from '../adapters/cloudflare/index.js';
import { GitHubProvider } from '../adapters/github/provider.js';
import type { Person } from '../core/git-provider.js';
import { validateSettings } from '../core/settings.js';
import { FakeCloudflare } from './cloudflare/index.js';
import { FakeGitHub } from './github/server.js';
import { parseFluxEvent } from '../core/flux-event.js';
import { decryptYaml, generateAgeKeyPair } from '../gitops/sops/index.js';
import type { Logger } from '../log.js';
import type { WorkflowContext } from '../workflows/context.js';
import { approve } from '../workflows/approve.js';
import { expose } from '../workflows/expose.js';
import { FluxEventMemory, onFluxEvent } from '../workflows/flux-events.js';
import { unexpose } from '../workflows/unexpose.js';
import { sampleRepository } from './sample-repo.js';

const ALICE: Person = { slackUserId: 'U0ALICE', name: 'Alice' };
const BOB: Person = { slackUserId: 'U0BOB', name: 'Bob' };
const TOKEN = 'ghp_demoTokenForTheLocalFakeOnly000000000';

/**
 * `tunnelbot demo`: the whole request lifecycle on this machine, against the local GitHub (a real git repository)
 * and Cloudflare fakes, through the same adapters and workflows `serve` uses. Slack's part is narrated: the
 * Slack transport is not built yet, so the demo calls the workflows a slash command and a button will call.
 */
/** Where the demo's stand-ins are while `--keep` holds them. */
export interface DemoPlaces {
  readonly githubUrl: string;
  readonly token: string;
  readonly repository: string;
  readonly cloudflareUrl: string;
}

export interface DemoOptions {
  /** Resolves when the person is done looking (Ctrl-C); until then the fakes keep running and the repo stays. */
  readonly keep?: (places: DemoPlaces) => Promise<void>;
}

export async function runDemo(
  print: (line: string) => void,
  logger: Logger,
  options: DemoOptions = {},
): Promise<void> {
  const key = await generateAgeKeyPair();
  const github = await FakeGitHub.start({
    files: sampleRepository(key.recipient),
    tokens: { [TOKEN]: { login: 'tunnelbot[bot]', permission: 'write' } },
  });
  const cloudflare = new FakeCloudflare({ zones: ['example.com'] });
  try {
    const { baseURL } = await cloudflare.start();
    const settings = validateSettings(
      {
        instance: 'demo',
        environments: [{ name: 'demo', path: 'apps/demo/tunnels', domain: 'example.com' }],
      },
      'demo settings',
    );
    const git = new GitHubProvider({
      auth: { kind: 'token', token: TOKEN },
      baseUrl: github.url,
      owner: github.owner.login,
      repo: github.repoName,
      logger,
      retryAndThrottle: false,
    });
    const context: WorkflowContext = {
      git,
      cloudflare: new CloudflareAdapter({
        apiToken: cloudflare.apiToken,
        accountId: cloudflare.accountId,
        baseURL,
        logger,
      }),
      settings,
      logger,
      now: () => new Date(),
    };

    print('tunnelbot demo: fake GitHub and Cloudflare APIs on 127.0.0.1, no account needed.');
    print(
      `GitOps repository: ${github.repoPath} (a real git repository, removed at the end${options.keep ? ' unless kept' : ''})\n`,
    );

    print('1. Alice types `/expose linkding 9090` in Slack.');
    const exposed = await expose({ app: 'linkding', port: 9090, requester: ALICE }, context);
    const tunnel = cloudflare.tunnels()[0]!;
    print(`   Cloudflare Tunnel ${tunnel.name} created (${tunnel.id}).`);
    print(`   Pull request #${exposed.pr.number} opened: ${exposed.pr.url}`);
    const pull = github.pull(exposed.pr.number)!;
    for (const line of pull.body?.split('\n') ?? []) {
      if (line.startsWith('- `')) print(`     ${line}`);
    }

    print('\n2. Bob approves the request (in Slack this will be the [Approve & merge] button).');
    const merged = await approve(
      { prNumber: exposed.pr.number, expectedHeadSha: exposed.pr.headSha, approver: BOB },
      context,
      { dnsAwaitsFlux: true },
    );
    print(
      `   Merged as ${merged.mergeSha.slice(0, 7)}, pinned to ${exposed.pr.headSha.slice(0, 7)}, the commit Bob saw.`,
    );
    if (merged.outcome.kind !== 'awaiting-flux') throw new Error(`unexpected outcome ${merged.outcome.kind}`);
    print(
      `   DNS records now: ${cloudflare.records().length}; tunnelbot waits for Flux, so no visitor meets a CNAME before cloudflared runs.`,
    );
    const info = await git.getPr(exposed.pr.number);

    print(
      '\n3. Flux applies the merge and notifies tunnelbot (kustomize-controller, ReconciliationSucceeded).',
    );
    const memory = new FluxEventMemory();
    memory.awaitFlux({ number: info.number, mergeSha: merged.mergeSha, metadata: info.metadata! });
    const flux = await onFluxEvent(
      parseFluxEvent(
        JSON.stringify({
          involvedObject: {
            kind: 'Kustomization',
            namespace: 'flux-system',
            name: 'apps',
            apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
          },
          severity: 'info',
          timestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
          message: 'Reconciliation finished in 1.2s, next run in 10m0s',
          reason: 'ReconciliationSucceeded',
          metadata: { revision: `main@sha1:${merged.mergeSha}`, commit_status: 'update' },
          reportingController: 'kustomize-controller',
        }),
      ),
      context,
      memory,
    );
    if (flux.kind === 'reconciled') {
      print(
        `   Revision ${flux.commitSha.slice(0, 7)} applied; PRs now live: ${flux.applied.map((pr) => `#${pr.number}`).join(', ')}.`,
      );
    }
    for (const record of cloudflare.records()) {
      print(`   DNS: ${record.type} ${record.name} -> ${record.content} (proxied, "${record.comment}")`);
    }
    print('   live at https://linkding.example.com');

    const snapshot = await git.readSnapshot((await git.defaultBranch()).sha);
    const secretFile = [...snapshot.files.keys()].find((path) => path.endsWith('secret.sops.yaml'))!;
    const plaintext = await decryptYaml(snapshot.files.get(secretFile)!, { identities: [key.identity] });
    const holdsTheTunnel = plaintext.includes(tunnel.id) && plaintext.includes(tunnel.secret);
    print(
      `   ${secretFile} is SOPS-encrypted; the demo's age key decrypts it to the tunnel's credentials: ${holdsTheTunnel ? 'yes' : 'NO'}.`,
    );

    print('\n4. Alice types `/unexpose linkding`; Bob approves.');
    const removal = await unexpose({ app: 'linkding', requester: ALICE }, context);
    await approve(
      { prNumber: removal.pr.number, expectedHeadSha: removal.pr.headSha, approver: BOB },
      context,
    );
    print(`   Pull request #${removal.pr.number} merged: tunnel directory and kustomization entry removed.`);

    const after = await git.readSnapshot((await git.defaultBranch()).sha, () => true);
    const original = sampleRepository(key.recipient);
    const identical =
      after.files.size === Object.keys(original).length &&
      Object.entries(original).every(([path, content]) => after.files.get(path) === content);
    print('\nLeft behind:');
    print(`   tunnels: ${cloudflare.tunnels().length}, DNS records: ${cloudflare.records().length}`);
    print(`   repository identical to the start: ${identical ? 'yes' : 'NO'}`);
    if (!holdsTheTunnel || !identical || cloudflare.tunnels().length > 0 || cloudflare.records().length > 0) {
      throw new Error('the demo did not end where it should have; please report this as a bug');
    }
    print('\nWhat to try next:');
    print('   the planner on your own Flux repository, offline and without writing a commit:');
    print(
      '     tunnelbot plan expose APP PORT --repo path/to/checkout --dry-run ... (tunnelbot plan --help)',
    );
    print(
      '   tunnelbot in your own Slack workspace before you connect GitHub and Cloudflare: `tunnelbot sandbox`, which',
    );
    print(
      '   comes with the Slack transport (README.md); the real thing: docs/install.md, then `tunnelbot doctor`.',
    );
    if (options.keep) {
      print('\nKept running until Ctrl-C:');
      print(`   fake GitHub API: ${github.url} (token ${TOKEN}), e.g.`);
      print(
        `     curl -H 'authorization: Bearer ${TOKEN}' ${github.url}/repos/${github.owner.login}/${github.repoName}/pulls?state=all`,
      );
      print(`   the repository: git clone ${github.repoPath} && git -C ${github.repoName} log --stat`);
      print(`   fake Cloudflare API: ${baseURL}`);
      await options.keep({
        githubUrl: github.url,
        token: TOKEN,
        repository: github.repoPath,
        cloudflareUrl: baseURL,
      });
    }
  } finally {
    await cloudflare.stop();
    await github.close();
  }
}
