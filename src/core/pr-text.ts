import { describeProtection } from './access.js';
import type { ChangeSet } from './changeset.js';
import type { Person } from './git-provider.js';
import type { ExposePlan } from './plan-expose.js';
import type { UnexposePlan } from './plan-unexpose.js';

/**
 * The human part of a tunnelbot pull request: what changes, where traffic goes, which files, what to watch out
 * for, who asked. It is the review surface, so it says everything a reviewer needs and never a secret.
 */

type Row = readonly [string, string];

/** Heading, key facts, the files, warnings and who asked: the same shape for every request. */
function render(heading: string, rows: readonly Row[], changeSet: ChangeSet, requester: Person): string {
  return [
    heading,
    '',
    '| | |',
    '| --- | --- |',
    ...rows.map(([key, value]) => `| ${key} | ${value.replace(/\|/g, '\\|')} |`),
    '',
    '**Files**',
    '',
    ...changeSet.files.map((change) => `- \`${change.path}\` (${change.change})`),
    ...(changeSet.warnings.length > 0
      ? ['', '**Warnings**', '', ...changeSet.warnings.map((warning) => `- ${warning}`)]
      : []),
    '',
    `Requested in Slack by ${requester.name} (\`${requester.slackUserId}\`). Approve or reject it from the Slack ` +
      'thread: the merge is pinned to the commit shown there.',
  ].join('\n');
}

export function exposePrText(plan: ExposePlan, requester: Person): string {
  const { target } = plan;
  const mode = target.environment.tunnelMode === 'per-app' ? 'per-app tunnel' : 'shared tunnel';
  const rows: Row[] = [
    ['Environment', `${target.environment.name} (${mode})`],
    ['Traffic goes to', `\`${target.serviceUrl}\``],
    ['Who may enter', describeProtection(target.protection)],
    [
      'Cloudflare Tunnel',
      target.tunnel.action === 'create'
        ? `\`${target.tunnelName}\` (new)`
        : `\`${target.tunnelName}\` (existing, one ingress rule added)`,
    ],
    ...(plan.encryptedFor ? [['Credentials', `SOPS/age-encrypted for ${plan.encryptedFor}`] as const] : []),
    ['After the merge', `DNS follows the default branch: a proxied CNAME ${target.hostname} to the tunnel`],
  ];
  return render(
    `### Expose \`${target.app}\` at https://${target.hostname}`,
    rows,
    plan.changeSet,
    requester,
  );
}

export function unexposePrText(plan: UnexposePlan, requester: Person): string {
  const rows: Row[] = [
    ['Stops serving', plan.hostnames.map((hostname) => `https://${hostname}`).join(', ')],
    [
      'After the merge',
      plan.deleteTunnelId
        ? `the DNS record and the tunnel \`${plan.deleteTunnelId}\` are deleted`
        : 'the DNS record is deleted; the shared tunnel keeps serving the other apps',
    ],
  ];
  return render(`### Unexpose \`${plan.app}\` (${plan.environment.name})`, rows, plan.changeSet, requester);
}
