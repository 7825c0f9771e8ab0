import { execFileSync } from 'node:child_process';
import { TunnelbotError } from '../../src/errors.js';
import type { Conversation, MessageRef } from '../../src/requests/conversation.js';
import type { RequestView } from '../../src/requests/view.js';
import type { FakeFault } from '../../src/sandbox/cloudflare/index.js';
import type { FakeGitHubFault } from '../../src/sandbox/github/server.js';
import type { World } from './world.js';
import type { TestContext } from 'node:test';
import { figure } from './figures.js';

/**
 * What the fault matrices share (test/requests/fault-matrix*.test.ts): the four faults as each fake injects them, a
 * Slack conversation whose next call fails as Slack would, the calls a run made as the fakes recorded them, and the
 * printed matrix.
 */

export type FaultKind = '5xx' | '429' | 'timeout' | 'reset';
export const FAULTS: readonly FaultKind[] = ['5xx', '429', 'timeout', 'reset'];

export const GITHUB_FAULTS: Record<FaultKind, FakeGitHubFault> = {
  '5xx': { kind: 'status', status: 502, message: 'Bad Gateway' },
  '429': { kind: 'status', status: 429, message: 'API rate limit exceeded', headers: { 'retry-after': '1' } },
  timeout: { kind: 'hang' },
  reset: { kind: 'reset' },
};

/**
 * Cloudflare's faults; a timeout is an answer that comes `latencyMs` late, after the client gave up, with its
 * effect taken place all the same (the outcome the client cannot know).
 */
export function cloudflareFaults(latencyMs: number): Record<FaultKind, FakeFault> {
  return {
    '5xx': { kind: 'error', status: 502, code: 10001 },
    '429': { kind: 'error', status: 429, code: 10000, retryAfterSeconds: 1 },
    timeout: { kind: 'latency', ms: latencyMs },
    reset: { kind: 'drop', when: 'before' },
  };
}

/** The conversation's methods, each named by the Slack Web API call SlackConversation makes for it. */
export type ConversationMethod = 'post' | 'update' | 'reply' | 'remove' | 'tell';
export const SLACK_CALL: Record<ConversationMethod, string> = {
  post: 'chat.postMessage',
  update: 'chat.update',
  reply: 'chat.postMessage (thread)',
  remove: 'chat.delete',
  tell: 'chat.postEphemeral',
};

/**
 * The Slack side as the request service sees it: a conversation that records every call and whose next call of a
 * method fails as SlackConversation fails once the Web API client has given up (src/transports/slack/web-api-errors.ts).
 */
export class FaultyConversation implements Conversation {
  /** Each root message's views, oldest first, by ts. */
  readonly views = new Map<string, RequestView[]>();
  /** Each root message's thread replies, by ts. */
  readonly threads = new Map<string, string[]>();
  readonly told: string[] = [];
  readonly calls: ConversationMethod[] = [];
  armed: { method: ConversationMethod; fault: FaultKind } | undefined;
  private next = 1;

  constructor(private readonly timeoutMs: number) {}

  failNext(method: ConversationMethod, fault: FaultKind): void {
    this.armed = { method, fault };
  }

  private async maybeFail(method: ConversationMethod): Promise<void> {
    this.calls.push(method);
    if (this.armed?.method !== method) return;
    const { fault } = this.armed;
    this.armed = undefined;
    if (fault === 'timeout') await new Promise((resolve) => setTimeout(resolve, this.timeoutMs));
    throw fault === 'reset'
      ? new TunnelbotError('TB_ERR_SLACK_UNAVAILABLE', 'Could not connect to Slack (connection reset).')
      : new TunnelbotError('TB_ERR_SLACK_UNAVAILABLE', `Slack answered ${fault}.`);
  }

  async post(channel: string, view: RequestView): Promise<MessageRef> {
    await this.maybeFail('post');
    const ref = { channel, ts: `1700000000.${String(this.next++).padStart(6, '0')}` };
    this.views.set(ref.ts, [view]);
    return ref;
  }
  async update(ref: MessageRef, view: RequestView): Promise<void> {
    await this.maybeFail('update');
    this.views.get(ref.ts)?.push(view);
  }
  async reply(ref: MessageRef, text: string): Promise<void> {
    await this.maybeFail('reply');
    this.threads.set(ref.ts, [...(this.threads.get(ref.ts) ?? []), text]);
  }
  async remove(ref: MessageRef): Promise<void> {
    await this.maybeFail('remove');
    this.views.delete(ref.ts);
  }
  async tell(_person: { readonly id: string; readonly channel: string }, text: string): Promise<void> {
    await this.maybeFail('tell');
    this.told.push(text);
  }
}

/** The branches of the fake GitHub's repository. */
export function branches(world: World): string[] {
  return execFileSync(
    'git',
    ['-C', world.github.repoPath, 'for-each-ref', '--format=%(refname:short)', 'refs/heads'],
    { encoding: 'utf8' },
  )
    .trim()
    .split('\n');
}

/** One GitHub call as a matrix names it (`POST /pulls/{n}/merge`) and the pattern that targets it in the fake. */
export interface GitHubCall {
  readonly method: string;
  readonly name: string;
  readonly path: RegExp;
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * A request the fake GitHub recorded, as the call it is: the repository prefix dropped, commit and blob ids,
 * numbers and branch names turned into placeholders, so every request of the same call has the same name.
 */
export function githubCallOf(method: string, path: string): GitHubCall {
  const prefix = /^\/repos\/[^/]+\/[^/]+/.exec(path)?.[0] ?? '';
  const segments = path.slice(prefix.length).split('/').slice(1);
  const names: string[] = [];
  const patterns: string[] = [];
  for (let index = 0; index < segments.length; index += 1) {
    const segment = segments[index]!;
    const previous = segments.slice(0, index).join('/');
    // A branch name, after `branches/` or `refs/heads/` (octokit sends `refs/heads%2F…` for a ref with slashes).
    if (previous === 'branches' || /(^|\/)refs?\/heads$/.test(previous)) {
      names.push('{branch}');
      patterns.push('.+');
      break;
    }
    if (/^(refs?)$/.test(previous.split('/').at(-1) ?? '') && segment.startsWith('heads%2F')) {
      names.push('heads%2F{branch}');
      patterns.push('heads%2F.+');
      break;
    }
    if (/^[0-9a-f]{40}$/.test(segment)) {
      names.push('{sha}');
      patterns.push('[0-9a-f]{40}');
    } else if (/^\d+$/.test(segment)) {
      names.push('{n}');
      patterns.push('\\d+');
    } else {
      names.push(segment);
      patterns.push(escape(segment));
    }
  }
  const tail = names.length === 0 ? '' : `/${names.join('/')}`;
  return {
    method,
    name: `${method} ${tail === '' ? '(repository)' : tail}`,
    path: new RegExp(`^${escape(prefix)}${patterns.length === 0 ? '' : `/${patterns.join('/')}`}$`),
  };
}

/** The distinct calls among requests, in the order first made. */
export function distinctGitHubCalls(
  requests: readonly { readonly method: string; readonly path: string }[],
): GitHubCall[] {
  const calls = new Map<string, GitHubCall>();
  for (const request of requests) {
    const call = githubCallOf(request.method, request.path);
    if (!calls.has(call.name)) calls.set(call.name, call);
  }
  return [...calls.values()];
}

/** Runs `work` over `items`, at most `concurrency` at a time, results in the items' order. */
export async function inPool<T, R>(
  items: readonly T[],
  concurrency: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}

/** The matrix as a table, one row per call and one column per fault. */
export function printMatrix(title: string, rows: readonly (readonly string[])[], t?: TestContext): void {
  if (t) {
    const outcomes = new Map<string, number>();
    for (const row of rows)
      for (const outcome of row.slice(1)) outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    figure(t, title, {
      calls: rows.length,
      runs: rows.length * FAULTS.length,
      ...Object.fromEntries(outcomes),
    });
  }
  const header = ['call', ...FAULTS];
  const widths = header.map((name, column) =>
    Math.max(name.length, ...rows.map((row) => row[column]!.length)),
  );
  const line = (cells: readonly string[]) =>
    cells.map((cell, column) => cell.padEnd(widths[column]!)).join(' | ');
  console.log(
    ['', title, line(header), widths.map((width) => '-'.repeat(width)).join('-|-'), ...rows.map(line)].join(
      '\n',
    ),
  );
}

/** The cells whose outcome is not one of the good ones, as `call / fault: outcome`. */
export function badCells(rows: readonly (readonly string[])[], good: RegExp): string[] {
  return rows.flatMap((row) =>
    row
      .slice(1)
      .flatMap((outcome, index) => (good.test(outcome) ? [] : [`${row[0]} / ${FAULTS[index]}: ${outcome}`])),
  );
}
