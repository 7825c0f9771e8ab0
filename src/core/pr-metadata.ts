import { z } from 'zod';
import { TunnelbotError } from '../errors.js';
import { DNS_LABEL, DNS_NAME } from './dns-names.js';
import { describeIssues } from './zod-issues.js';

/**
 * The request record a tunnelbot pull request carries in its body. The bot keeps no database: an open PR with this
 * block IS the pending request, so any replica can rebuild its state from GitHub alone.
 */

// Kubernetes object names double as git ref components, so the same DNS-1123 label rule keeps branch names valid.
const dnsLabel = z.string().max(63).regex(DNS_LABEL, 'must be a lowercase DNS label (a-z, 0-9, -)');

const hostname = z.string().max(253).regex(DNS_NAME, 'must be a lowercase DNS hostname');

export const PR_ACTIONS = ['expose', 'unexpose'] as const;
export type PrAction = (typeof PR_ACTIONS)[number];

const prMetadataSchema = z.strictObject({
  version: z.literal(1),
  action: z.enum(PR_ACTIONS),
  app: dnsLabel,
  environment: dnsLabel,
  hostname,
  tunnelId: z.uuid().optional(),
  namespace: dnsLabel.optional(),
  port: z.number().int().min(1).max(65535).optional(),
  /** The requester asked for a public app (`access=public`, allowed where the access mode is optional). */
  public: z.literal(true).optional(),
  /** The Access application the expose created or adopted; a rejected or failed expose deletes it. */
  access: z
    .strictObject({
      appId: z.uuid(),
      aud: z.string().regex(/^[0-9a-f]{64}$/, 'must be an Access aud tag (64 hex characters)'),
    })
    .optional(),
  slack: z
    .strictObject({
      channel: z.string().regex(/^[A-Z0-9]+$/, 'must be a Slack channel id'),
      messageTs: z.string().regex(/^\d+\.\d+$/, 'must be a Slack message timestamp'),
    })
    .optional(),
  requester: z.strictObject({
    slackUserId: z.string().regex(/^[A-Z0-9]+$/, 'must be a Slack user id'),
    name: z.string().min(1).max(200).optional(),
  }),
});

export type PrMetadata = z.infer<typeof prMetadataSchema>;

/**
 * The block of a `tunnelbot init` pull request. It is not a request (nothing to approve from Slack, no tunnel), so
 * `parsePrMetadata` answers undefined for it and the workflows never see it; it names the branch and lets a rerun
 * find the open PR.
 */
const initMetadataSchema = z.strictObject({
  version: z.literal(1),
  action: z.literal('init'),
  environment: dnsLabel,
});

export type InitPrMetadata = z.infer<typeof initMetadataSchema>;

/** Any block tunnelbot writes into a PR body. */
export type PrBlock = PrMetadata | InitPrMetadata;

const BLOCK_OPEN = '<!-- tunnelbot:';
const BLOCK_CLOSE = ' -->';

/**
 * The text of every block in `body`, each from its opening to the first close after it. Found with indexOf rather
 * than a regular expression: every webhook of a pull request reads its body, and this is several times faster.
 */
function blockTexts(body: string): string[] {
  const texts: string[] = [];
  for (let from = 0; ;) {
    const open = body.indexOf(BLOCK_OPEN, from);
    if (open === -1) return texts;
    const start = open + BLOCK_OPEN.length;
    const end = body.indexOf(BLOCK_CLOSE, start);
    if (end === -1) return texts;
    texts.push(body.slice(start, end));
    from = end + BLOCK_CLOSE.length;
  }
}

function validate(value: unknown, where: string): PrBlock {
  const isInit =
    typeof value === 'object' && value !== null && (value as { action?: unknown }).action === 'init';
  const result = (isInit ? initMetadataSchema : prMetadataSchema).safeParse(value);
  if (!result.success) {
    throw new TunnelbotError(
      'TB_ERR_GITHUB_PR_METADATA',
      `${where}: ${describeIssues(result.error.issues, '(root)').join('; ')}.`,
      {
        details: { issues: result.error.issues.map((issue) => issue.path.join('.')) },
      },
    );
  }
  return result.data;
}

/**
 * The PR body: the human summary, then the machine block last. `<`, `>` and `&` are written as JSON unicode escapes,
 * so no string value (a requester's display name, say) can close the HTML comment early or open another one.
 */
export function renderPrBody(humanSummary: string, metadata: PrBlock): string {
  const valid = validate(metadata, 'The tunnelbot PR metadata is invalid');
  const json = JSON.stringify(valid).replace(
    /[<>&]/g,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  const summary = humanSummary.replaceAll(BLOCK_OPEN, '<!-- tunnelbot-quoted:').trimEnd();
  return `${summary}\n\n${BLOCK_OPEN}${json}${BLOCK_CLOSE}\n`;
}

/**
 * Reads the request block from a PR body. No block means the PR is not a tunnelbot request (undefined), and so does
 * an init block; a block that is duplicated, not JSON or not a valid record means someone edited it, which is an
 * error rather than a silent skip.
 */
export function parsePrMetadata(body: string | null | undefined): PrMetadata | undefined {
  const block = parsePrBlock(body);
  return block?.action === 'init' ? undefined : block;
}

/** Reads any tunnelbot block (a request or an init) from a PR body; errors as `parsePrMetadata`. */
export function parsePrBlock(body: string | null | undefined): PrBlock | undefined {
  if (!body) return undefined;
  const blocks = blockTexts(body);
  if (blocks.length === 0) return undefined;
  if (blocks.length > 1) {
    throw new TunnelbotError(
      'TB_ERR_GITHUB_PR_METADATA',
      `The pull request body has ${blocks.length} tunnelbot blocks; exactly one is allowed.`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(blocks[0]!);
  } catch {
    throw new TunnelbotError(
      'TB_ERR_GITHUB_PR_METADATA',
      'The tunnelbot block in the pull request body is not JSON.',
    );
  }
  return validate(parsed, 'The tunnelbot block in the pull request body is invalid');
}

export const BRANCH_PREFIX = 'tunnelbot/';

/**
 * A request PR carries this label from its creation until one replica claims its last announcement ("Live at", or
 * what an unexpose removed) by removing it: GitHub answers the removal of a label the PR no longer has with 404, so
 * of two replicas announcing at the same instant exactly one wins.
 */
export const ANNOUNCEMENT_LABEL = 'tunnelbot:to-announce';

/** One request, one branch: creating this ref is the lock that makes retries and replicas converge on one PR. */
export function branchName(action: PrAction, environment: string, app: string): string {
  const env = dnsLabel.safeParse(environment);
  const name = dnsLabel.safeParse(app);
  if (!PR_ACTIONS.includes(action) || !env.success || !name.success) {
    throw new TunnelbotError(
      'TB_ERR_USAGE',
      `Cannot build a branch name from action "${action}", environment "${environment}", app "${app}": ` +
        'the action must be expose or unexpose and environment and app lowercase DNS labels.',
    );
  }
  return `${BRANCH_PREFIX}${action}-${environment}-${app}`;
}

/** The branch of `tunnelbot init` for one environment: one init PR per environment at a time. */
export function initBranchName(environment: string): string {
  if (!dnsLabel.safeParse(environment).success) {
    throw new TunnelbotError('TB_ERR_USAGE', `Cannot build a branch name from environment "${environment}".`);
  }
  return `${BRANCH_PREFIX}init-${environment}`;
}

/** The branch a metadata record belongs to. */
export function branchFor(
  metadata: Pick<PrMetadata, 'action' | 'environment' | 'app'> | InitPrMetadata,
): string {
  return metadata.action === 'init'
    ? initBranchName(metadata.environment)
    : branchName(metadata.action, metadata.environment, metadata.app);
}
