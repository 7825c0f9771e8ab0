import type { types } from '@slack/bolt';
import { protectionLabel } from '../../core/access.js';
import type { Listing } from '../../workflows/list.js';
import type { RequestState, RequestView } from '../../requests/view.js';

/**
 * Block Kit for what the request service says. Rendering only: every word comes from the view; this file decides
 * layout, the state marks and the buttons, and keeps within Slack's limits (50 blocks, 3,000 characters per
 * section, 10 fields of 2,000, 2,000 characters per button value), with a plain-text fallback for notifications.
 */

export const ACTION_IDS = {
  approve: 'tunnelbot_approve',
  reject: 'tunnelbot_reject',
  viewPr: 'tunnelbot_view_pr',
} as const;

export const EXPOSE_FORM_CALLBACK = 'tunnelbot_expose_form';

type KnownBlock = types.KnownBlock;

const SECTION_LIMIT = 3000;
const FIELD_LIMIT = 2000;
const MAX_FIELDS = 10;
const MAX_CHANGE_LINES = 12;

const MARKS: Record<RequestState, string> = {
  requested: ':hourglass_flowing_sand:',
  open: ':eyes:',
  merged: ':twisted_rightwards_arrows:',
  live: ':white_check_mark:',
  removed: ':broom:',
  failed: ':x:',
  rejected: ':no_entry_sign:',
  superseded: ':leftwards_arrow_with_hook:',
};

/** Slack turns `<!channel>`, `<!here>` and `<!everyone>` into notifications: never let typed text do that. */
export function escapeBroadcasts(text: string): string {
  return text.replace(/<!(channel|here|everyone)(\|[^>]*)?>/gi, '&lt;!$1&gt;');
}

/** Text Flux or Cloudflare wrote, shown verbatim: `&`, `<` and `>` escaped as Slack requires. */
export function escapeText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function clip(text: string, limit: number): string {
  const characters = Array.from(text);
  return characters.length <= limit ? text : `${characters.slice(0, limit - 1).join('')}…`;
}

function section(text: string): KnownBlock {
  return { type: 'section', text: { type: 'mrkdwn', text: clip(escapeBroadcasts(text), SECTION_LIMIT) } };
}

/** The value an Approve button carries: the PR and the head commit the approver is shown. */
export function approveValue(prNumber: number, headSha: string): string {
  return JSON.stringify({ pr: prNumber, sha: headSha });
}

export function rejectValue(prNumber: number): string {
  return JSON.stringify({ pr: prNumber });
}

export interface SlackMessage {
  readonly text: string;
  readonly blocks: KnownBlock[];
}

export function renderRequest(view: RequestView): SlackMessage {
  const blocks: KnownBlock[] = [section(`${MARKS[view.state]} *${view.title}*\n${view.status}`)];
  if (view.facts.length > 0) {
    blocks.push({
      type: 'section',
      fields: view.facts.slice(0, MAX_FIELDS).map((fact) => ({
        type: 'mrkdwn' as const,
        text: clip(escapeBroadcasts(`*${fact.label}*\n${fact.value}`), FIELD_LIMIT),
      })),
    });
  }
  if (view.changes.length > 0) {
    const shown = view.changes.slice(0, MAX_CHANGE_LINES).map((line) => `• \`${line}\``);
    if (view.changes.length > MAX_CHANGE_LINES)
      shown.push(`…and ${view.changes.length - MAX_CHANGE_LINES} more (see the pull request)`);
    blocks.push(section(`*What will change*\n${shown.join('\n')}`));
  }
  if (view.warnings.length > 0) {
    blocks.push(
      section(
        `:warning: *Warnings*\n${view.warnings.map((warning) => `• ${escapeText(warning)}`).join('\n')}`,
      ),
    );
  }
  if (view.problem) {
    blocks.push(section(`*Fix:* ${view.problem.fix}`));
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `\`${view.problem.code}\`` }] });
  }
  const buttons = view.actions.map((action) => {
    switch (action.kind) {
      case 'approve':
        return {
          type: 'button' as const,
          action_id: ACTION_IDS.approve,
          style: 'primary' as const,
          text: { type: 'plain_text' as const, text: 'Approve & merge' },
          value: approveValue(action.prNumber, action.headSha),
        };
      case 'reject':
        return {
          type: 'button' as const,
          action_id: ACTION_IDS.reject,
          style: 'danger' as const,
          text: { type: 'plain_text' as const, text: 'Reject' },
          value: rejectValue(action.prNumber),
          confirm: {
            title: { type: 'plain_text' as const, text: 'Reject this request?' },
            text: {
              type: 'mrkdwn' as const,
              text: 'The pull request is closed and the tunnel made for it deleted.',
            },
            confirm: { type: 'plain_text' as const, text: 'Reject' },
            deny: { type: 'plain_text' as const, text: 'Keep it' },
          },
        };
      case 'view-pr':
        return {
          type: 'button' as const,
          action_id: ACTION_IDS.viewPr,
          text: { type: 'plain_text' as const, text: 'View PR' },
          url: action.url,
        };
    }
  });
  if (buttons.length > 0) blocks.push({ type: 'actions', block_id: 'tunnelbot_actions', elements: buttons });
  return { text: clip(escapeBroadcasts(`${view.title}: ${view.status}`), SECTION_LIMIT), blocks };
}

/** `/expose list`: per environment, what is exposed with its tunnel's health, then what waits for approval. */
export function renderListing(listing: Listing, environments: readonly string[]): SlackMessage {
  const blocks: KnownBlock[] = [];
  for (const environment of environments) {
    const exposed = listing.exposed.filter((app) => app.environment === environment);
    const pending = listing.pending.filter((pr) => pr.metadata?.environment === environment);
    const lines = exposed.map((app) => {
      const health =
        'error' in app.health
          ? `health unknown (${escapeText(app.health.error)})`
          : `${app.health.status}, ${app.health.connectors} connector${app.health.connectors === 1 ? '' : 's'}`;
      const what = app.app ? `${app.app}, ` : '';
      const protection = protectionLabel(app.access, app.policies);
      return `• <https://${app.hostname}|${app.hostname}> (${what}tunnel ${health}; ${protection})`;
    });
    const waiting = pending.map(
      (pr) =>
        `• <${pr.url}|#${pr.number}> ${pr.metadata!.action} ${pr.metadata!.app} (${pr.metadata!.hostname})`,
    );
    const text = [
      `*${environment}*`,
      ...(lines.length > 0 ? lines : ['_nothing exposed_']),
      ...(waiting.length > 0 ? ['_Waiting for approval:_', ...waiting] : []),
    ].join('\n');
    blocks.push(section(text));
    if (blocks.length >= 49) break;
  }
  for (const warning of listing.warnings.slice(0, 3))
    blocks.push(section(`:warning: ${escapeText(warning)}`));
  const total = listing.exposed.length;
  return {
    text: `${total} app${total === 1 ? '' : 's'} exposed, ${listing.pending.length} waiting for approval`,
    blocks: blocks.slice(0, 50),
  };
}
