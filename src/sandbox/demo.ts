import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { decryptYaml } from '../gitops/sops/index.js';
import type { Logger } from '../log.js';
import { ACTION_IDS } from '../transports/slack/blocks.js';
import { sampleRepository } from './sample-repo.js';
import { startSandbox, type Sandbox } from './sandbox.js';
import { FakeSlack, type FakeSlackMessage } from './slack/index.js';

/**
 * `tunnelbot demo`: the whole request lifecycle on this machine, as people in Slack live it. The real Bolt app (Socket
 * Mode) talks to the project's Slack fake; GitHub (a real git repository) and Cloudflare are the local fakes; Flux
 * is simulated as in the sandbox. Alice and Bob type commands and press buttons through the fake, and the demo prints
 * the conversation as they would read it, then the pull request's diff and the check that nothing is left behind.
 */

const BOT_TOKEN = 'xoxb-demo-0000000000-localfakeonly';
const APP_TOKEN = 'xapp-1-ADEMO-0000000000-localfakeonly';
const CHANNEL = 'C0DEMO0OPS';
const ALICE = { id: 'U0ALICE', name: 'alice', real_name: 'Alice' };
const BOB = { id: 'U0BOB', name: 'bob', real_name: 'Bob' };
const WAIT_MS = 15_000;

const run = promisify(execFile);

/** Where the demo's stand-ins are while `--keep` holds them. */
export interface DemoPlaces {
  readonly githubUrl: string;
  readonly token: string;
  readonly repository: string;
  readonly cloudflareUrl: string;
}

export interface DemoOptions {
  /** Flux's simulated delay after a merge. */
  readonly fluxDelayMs?: number;
  /** Resolves when the person is done looking (Ctrl-C); until then the fakes keep running and the repo stays. */
  readonly keep?: (places: DemoPlaces) => Promise<void>;
}

async function until<T>(what: string, read: () => T | undefined): Promise<T> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const value = read();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline)
      throw new Error(`the demo waited in vain for ${what}; please report this as a bug`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function indent(text: string, prefix: string): string {
  return text
    .split('\n')
    .map((line) => `${prefix}${line}`)
    .join('\n');
}

export async function runDemo(
  print: (line: string) => void,
  logger: Logger,
  options: DemoOptions = {},
): Promise<void> {
  const slack = new FakeSlack({ botToken: BOT_TOKEN, appToken: APP_TOKEN, users: [ALICE, BOB] });
  const { apiUrl } = await slack.start();
  let sandbox: Sandbox | undefined;
  try {
    sandbox = await startSandbox({
      slack: { mode: 'socket', botToken: BOT_TOKEN, appToken: APP_TOKEN, apiUrl },
      logger,
      port: 0,
      fluxDelayMs: options.fluxDelayMs ?? 500,
      slackTuning: { retries: 0 },
    });
    const { cloudflare, github } = sandbox;
    const shown = new Map<string, string>();
    /** Prints what changed in the channel since the last look: new or edited root messages, thread replies. */
    const look = () => {
      for (const message of slack.messages) {
        const text = slack.render(message);
        if (shown.get(message.ts) === text) continue;
        const edited = shown.has(message.ts);
        shown.set(message.ts, text);
        const who = message.threadTs
          ? '    ↳ tunnelbot (in the thread)'
          : `  tunnelbot${edited ? ' (edited)' : ''}`;
        print(`${who}:\n${indent(text, message.threadTs ? '        ' : '      ')}`);
      }
    };
    let told = 0;
    const privately = () => {
      for (const post of slack.responseUrlPosts.slice(told)) {
        print(
          `  (only the person who acted sees) tunnelbot:\n${indent(slack.render(post.body as { text?: string }), '      ')}`,
        );
      }
      told = slack.responseUrlPosts.length;
    };
    const rootOf = (pattern: RegExp) =>
      slack.messages.find((m) => m.threadTs === undefined && pattern.test(m.text ?? ''));
    const hasButton = (message: FakeSlackMessage | undefined, actionId: string) =>
      JSON.stringify(message?.blocks ?? []).includes(`"action_id":"${actionId}"`);

    print(
      'tunnelbot demo: the real Slack app (Bolt, Socket Mode) against a local Slack, with GitHub (a real git',
    );
    print('repository) and Cloudflare as local fakes and Flux simulated. No accounts, no network.\n');

    print('#ops  Alice: /expose linkding 9090');
    await slack.sendSlashCommand({
      command: '/expose',
      text: 'linkding 9090',
      user_id: ALICE.id,
      channel_id: CHANNEL,
    });
    const root = await until('the request message', () => {
      const message = rootOf(/linkding/);
      return hasButton(message, ACTION_IDS.approve) ? message : undefined;
    });
    look();
    const tunnel = cloudflare.tunnels()[0]!;
    const accessApp = cloudflare.accessApps()[0];
    if (!accessApp) throw new Error('the demo expected an Access application; please report this as a bug');
    print(`  [Cloudflare] tunnel ${tunnel.name} created;`);
    print(
      `  [Cloudflare] Access application "${accessApp.name}" created (aud ${accessApp.aud.slice(0, 12)}…): the PR's rule makes cloudflared refuse requests without its token;`,
    );
    print('  [GitHub] pull request #1 opened.\n');

    print('#ops  Alice presses [Approve & merge] on her own request');
    await slack.clickButton({ messageTs: root.ts, actionId: ACTION_IDS.approve, userId: ALICE.id });
    await until('the refusal', () => slack.responseUrlPosts.length > told);
    privately();

    print('\n#ops  Bob presses [Approve & merge]');
    await slack.clickButton({ messageTs: root.ts, actionId: ACTION_IDS.approve, userId: BOB.id });
    await until('the merge', () => /Waiting for Flux/.test(slack.render(root)));
    look();
    print(
      `  [Cloudflare] DNS records: ${cloudflare.records().length}; the hostname waits until Flux runs cloudflared.\n`,
    );

    print('… Flux applies the merge, cloudflared connects (simulated) …');
    await until('live', () => slack.threadOf(root.ts).some((m) => /Live at/.test(m.text ?? '')));
    look();
    for (const record of cloudflare.records()) {
      print(`  [Cloudflare] ${record.type} ${record.name} -> ${record.content} (proxied)`);
    }

    const pr = await sandbox.service.context.git.getPr(1);
    const git = (...args: string[]) => run('git', ['--git-dir', github.repoPath, ...args]);
    const stat = await git('show', '--format=  commit %h %s', '--stat=100', pr.mergeSha!);
    const patch = await git(
      'show',
      '--format=',
      '--patch',
      pr.mergeSha!,
      '--',
      '*kustomization.yaml',
      '*config.yaml',
    );
    print('\nThe pull request, as merged:');
    print(indent(stat.stdout.trimEnd(), '  '));
    print(
      '\n  The ingress rule and the kustomizations (the Deployment is in the PR; the secret is SOPS-encrypted):',
    );
    print(indent(patch.stdout.trimEnd(), '  '));
    const snapshot = await sandbox.service.context.git.readSnapshot(pr.mergeSha!);
    const secretPath = [...snapshot.files.keys()].find((path) => path.endsWith('secret.sops.yaml'))!;
    const secretFile = snapshot.files.get(secretPath)!;
    const plaintext = await decryptYaml(secretFile, { identities: [sandbox.ageIdentity] });
    const sealed = !secretFile.includes(tunnel.secret) && plaintext.includes(tunnel.secret);
    print(
      `  ${secretPath}: the tunnel secret is ${sealed ? 'only in encrypted form in git; the age key decrypts it' : 'NOT SEALED'}.\n`,
    );

    print('#ops  Alice: /unexpose linkding');
    await slack.sendSlashCommand({
      command: '/unexpose',
      text: 'linkding',
      user_id: ALICE.id,
      channel_id: CHANNEL,
    });
    const removal = await until('the unexpose request', () => {
      const message = rootOf(/Unexpose linkding/);
      return hasButton(message, ACTION_IDS.approve) ? message : undefined;
    });
    look();
    print('\n#ops  Bob presses [Approve & merge]');
    await slack.clickButton({ messageTs: removal.ts, actionId: ACTION_IDS.approve, userId: BOB.id });
    await until('the removal', () =>
      slack.threadOf(removal.ts).some((m) => /left behind/.test(m.text ?? '')),
    );
    look();

    const head = await sandbox.service.context.git.defaultBranch();
    const after = await sandbox.service.context.git.readSnapshot(head.sha, () => true);
    const original = Object.entries(sampleRepository(''))
      .filter(([path]) => path !== '.sops.yaml')
      .every(([path, content]) => after.files.get(path) === content);
    const identical = original && after.files.size === Object.keys(sampleRepository('')).length;
    print('\nLeft behind:');
    print(
      `  tunnels: ${cloudflare.tunnels().length}, DNS records: ${cloudflare.records().length}, Access applications: ${cloudflare.accessApps().length}`,
    );
    print(`  repository identical to the start: ${identical ? 'yes' : 'NO'}`);
    if (
      !sealed ||
      !identical ||
      cloudflare.tunnels().length > 0 ||
      cloudflare.records().length > 0 ||
      cloudflare.accessApps().length > 0
    ) {
      throw new Error('the demo did not end where it should have; please report this as a bug');
    }
    print('\nWhat to try next:');
    print('  the planner on your own Flux repository, offline and without writing a commit:');
    print('    tunnelbot plan expose APP PORT --repo path/to/checkout --dry-run ... (tunnelbot plan --help)');
    print(
      '  tunnelbot in your own Slack workspace before you connect GitHub and Cloudflare: tunnelbot sandbox',
    );
    print('  the real thing: docs/install.md, then tunnelbot doctor');
    if (options.keep) {
      const token = sandbox.githubToken;
      print('\nKept running until Ctrl-C:');
      print(`  fake GitHub API: ${github.url} (token ${token}), e.g.`);
      print(
        `    curl -H 'authorization: Bearer ${token}' ${github.url}/repos/${github.owner.login}/${github.repoName}/pulls?state=all`,
      );
      print(`  the repository: git clone ${github.repoPath} && git -C ${github.repoName} log --stat`);
      print(`  fake Cloudflare API: ${sandbox.cloudflareUrl}`);
      await options.keep({
        githubUrl: github.url,
        token,
        repository: github.repoPath,
        cloudflareUrl: sandbox.cloudflareUrl,
      });
    }
  } finally {
    await sandbox?.stop();
    await slack.stop();
  }
}
