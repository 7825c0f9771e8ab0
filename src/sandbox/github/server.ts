import { announceStandIn, type StandInSecret } from '../watch.js';
import { createPublicKey, randomBytes, verify as verifySignature } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { BareRepository, type TreeEdit } from './git.js';
import {
  commentPayload,
  fullRepositoryPayload,
  gitCommitPayload,
  labelPayload,
  pullPayload,
  pullSimplePayload,
  refPayload,
  repoApiUrl,
  repoHtmlUrl,
  restCommitPayload,
  type FakeUser,
  type LabelRecord,
  type PullRecord,
  type RepoCoordinates,
} from './payloads.js';

/**
 * A local GitHub REST API for tests, benchmarks and `tunnelbot demo`. State lives in a real bare git repository, so
 * trees, commits, merges and ancestry are git's own answers, not a simulation; pulls, labels and comments are in
 * memory. Only the endpoints tunnelbot uses exist; each follows GitHub's status codes and messages.
 */

export interface FakeTokenGrant {
  login: string;
  permission: 'read' | 'write';
  type?: 'User' | 'Bot';
}

export interface FakeGitHubApp {
  appId: number;
  /** PEM public key matching the private key the client signs its JWT with. */
  publicKey: string;
  installationId: number;
  permission: 'read' | 'write';
}

/** One request/response pair, as seen on the wire (path still percent-encoded, as octokit sent it). */
export interface FakeExchange {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  requestBody: unknown;
  status: number;
  responseBody: unknown;
  /** performance.now() when the request arrived and when its response was sent. */
  startedAt: number;
  finishedAt: number;
}

export interface FakeGitHubOptions {
  owner?: string;
  repo?: string;
  defaultBranch?: string;
  /** Files of the initial commit on the default branch. */
  files?: Record<string, string>;
  tokens?: Record<string, FakeTokenGrant>;
  app?: FakeGitHubApp;
  /**
   * Minimum time to answer a request (processing included, as GitHub's latency includes its own work); the
   * benchmark turns wall time into round trips with it.
   */
  latencyMs?: number;
  onExchange?: (exchange: FakeExchange) => void;
  /** Awaited before a request is handled: lets a test act "between" two calls of the client (races, teammates). */
  beforeHandle?: (method: string, path: string) => Promise<void>;
  /** The repository's "Allow … merging" settings; GitHub's default allows all three. */
  mergeMethods?: Partial<FakeMergeSettings>;
}

/** Settings › General › Pull Requests: which merge buttons the repository offers. */
export interface FakeMergeSettings {
  squash: boolean;
  merge: boolean;
  rebase: boolean;
}

/** What GitHub's merge endpoint answers (405) for a method the repository turned off. */
const METHOD_NOT_ALLOWED: Record<keyof FakeMergeSettings, string> = {
  squash: 'Squash merges are not allowed on this repository.',
  merge: 'Merge commits are not allowed on this repository.',
  rebase: 'Rebase merges are not allowed on this repository.',
};

interface InjectedFault {
  status: number;
  message: string;
  headers: Record<string, string>;
}

/** What a targeted fault does to a request: an answer, no answer at all, or the connection cut. */
export type FakeGitHubFault =
  | { kind: 'status'; status: number; message?: string; headers?: Record<string, string> }
  | { kind: 'hang' }
  | { kind: 'reset' };

interface TargetedFault {
  method: string;
  path: RegExp;
  fault: FakeGitHubFault;
  remaining: number;
}

interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  raw?: string | Buffer;
}

interface Context {
  params: string[];
  query: URLSearchParams;
  body: Record<string, unknown>;
  user: FakeUser;
  grant: FakeTokenGrant;
  headers: IncomingMessage['headers'];
}

type Handler = (context: Context) => Promise<Reply>;

const DOCS = 'https://docs.github.com/rest';
const BOT_USER: FakeUser = { login: 'tunnelbot[bot]', id: 900001, type: 'Bot' };

function error(status: number, message: string, extra: Record<string, unknown> = {}): Reply {
  return { status, body: { message, documentation_url: DOCS, status: String(status), ...extra } };
}

function validationFailed(message: string, resource?: string, field?: string): Reply {
  return error(422, message, {
    errors: [{ resource: resource ?? 'Repository', field: field ?? '', code: 'custom', message }],
  });
}

/**
 * The pulls endpoint's 422: "Validation Failed" on top and the reason only in `errors`, either a `custom` error
 * with a message or an `invalid` field without one (what GitHub sends, e.g. for a duplicate head).
 */
function pullValidationFailed(reason: { message: string } | { field: string }): Reply {
  const detail =
    'message' in reason
      ? { resource: 'PullRequest', code: 'custom', message: reason.message }
      : { resource: 'PullRequest', field: reason.field, code: 'invalid' };
  return error(422, 'Validation Failed', { errors: [detail] });
}

const notFound = (): Reply => error(404, 'Not Found');

function now(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export class FakeGitHub {
  url = '';
  latencyMs: number;
  /** Requests served since start, including failed ones; the benchmark's exact round-trip count. */
  requestCount = 0;
  /** Every request as it arrived (method and path, faulted ones included): a test derives the calls a flow makes. */
  readonly requests: { readonly method: string; readonly path: string }[] = [];
  readonly owner: FakeUser;
  readonly repoName: string;
  readonly defaultBranch: string;
  private readonly tokens = new Map<string, FakeTokenGrant>();
  private readonly faults: InjectedFault[] = [];
  private readonly targeted: TargetedFault[] = [];
  private readonly pulls: PullRecord[] = [];
  private readonly labels = new Map<string, LabelRecord>();
  private nextId = 1000;
  private nextNumber = 1;
  private pushedAt = now();
  private mergeSettings: FakeMergeSettings;
  private readonly server = createServer((req, res) => void this.handle(req, res));
  private readonly routes: { method: string; pattern: RegExp; handler: Handler }[] = [];

  private constructor(
    readonly repository: BareRepository,
    readonly options: FakeGitHubOptions,
  ) {
    this.owner = { login: options.owner ?? 'acme', id: 4242, type: 'User' };
    this.repoName = options.repo ?? 'gitops';
    this.defaultBranch = options.defaultBranch ?? 'main';
    this.latencyMs = options.latencyMs ?? 0;
    for (const [token, grant] of Object.entries(options.tokens ?? {})) this.tokens.set(token, grant);
    this.mergeSettings = { squash: true, merge: true, rebase: true, ...options.mergeMethods };
    this.registerRoutes();
  }

  static async start(options: FakeGitHubOptions = {}): Promise<FakeGitHub> {
    const repository = await BareRepository.create(options.defaultBranch ?? 'main');
    const fake = new FakeGitHub(repository, options);
    await fake.commitToBranch(
      fake.defaultBranch,
      options.files ?? { 'README.md': '# GitOps\n' },
      'Initial commit',
    );
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
    fake.url = `http://127.0.0.1:${(fake.server.address() as AddressInfo).port}`;
    announceStandIn({ kind: 'github', fake });
    return fake;
  }

  /** The tokens this GitHub accepts (given and issued to an App installation), which must never be shown. */
  secrets(): StandInSecret[] {
    return [...this.tokens.keys()].map((value) => ({ kind: 'GitHub token', value }));
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await this.repository.dispose();
  }

  /** The bare repository's path; `git clone` it to inspect results. */
  get repoPath(): string {
    return this.repository.path;
  }

  grantToken(token: string, grant: FakeTokenGrant): void {
    this.tokens.set(token, grant);
  }

  /** The next `count` requests fail with this status (after auth), e.g. 502, or 403/429 with rate-limit headers. */
  failNext(status: number, count = 1, message = 'Server Error', headers: Record<string, string> = {}): void {
    for (let i = 0; i < count; i += 1) this.faults.push({ status, message, headers });
  }

  /**
   * The next `times` requests of `method` on a path matching `path` (before any handling): answered with a status
   * (a 5xx, a 429 with retry-after), never answered (the client's timeout decides), or their connection reset.
   */
  injectFault(method: string, path: RegExp, fault: FakeGitHubFault, times = 1): void {
    this.targeted.push({ method, path, fault, remaining: times });
  }

  /** Targeted faults no request has met yet: a test knows its fault was reached. */
  get pendingFaults(): number {
    return this.targeted.reduce((sum, entry) => sum + entry.remaining, 0);
  }

  /** A maintainer changing the repository's merge buttons. */
  setMergeMethods(settings: Partial<FakeMergeSettings>): void {
    this.mergeSettings = { ...this.mergeSettings, ...settings };
  }

  pull(number: number): PullRecord | undefined {
    return this.pulls.find((pull) => pull.number === number);
  }

  /** Commits straight to a branch (a teammate pushing), creating it from the default branch if needed. */
  async commitToBranch(
    branch: string,
    files: Record<string, string | null>,
    message: string,
  ): Promise<string> {
    const ref = `refs/heads/${branch}`;
    const parent = (await this.repository.refSha(ref)) ?? (await this.repository.refSha(this.headsRef()));
    const edits: TreeEdit[] = Object.entries(files).map(([path, content]) =>
      content === null ? { path, delete: true } : { path, mode: '100644', content },
    );
    const tree = await this.repository.buildTree(parent ? `${parent}^{tree}` : undefined, edits);
    const sha = await this.repository.commitTree({
      tree,
      parents: parent ? [parent] : [],
      message,
      author: { name: 'Teammate', email: 'teammate@example.com' },
    });
    if (!(await this.repository.updateRef(ref, sha, (await this.repository.refSha(ref)) ?? undefined))) {
      throw new Error(`fake GitHub: could not move ${ref}`);
    }
    this.pushedAt = now();
    return sha;
  }

  private headsRef(branch = this.defaultBranch): string {
    return `refs/heads/${branch}`;
  }

  private coords(): RepoCoordinates {
    return {
      apiUrl: this.url,
      webUrl: `${this.url}/web`,
      owner: this.owner,
      name: this.repoName,
      id: 77001,
      defaultBranch: this.defaultBranch,
      createdAt: '2024-01-01T00:00:00Z',
    };
  }

  private context() {
    return { pushedAt: this.pushedAt, openIssues: this.pulls.filter((pull) => pull.state === 'open').length };
  }

  private route(method: string, path: string, handler: Handler): void {
    const source = path.replace(/:rest/g, '(.+)').replace(/:\w+/g, '([^/]+)');
    this.routes.push({ method, pattern: new RegExp(`^${source}$`), handler });
  }

  private registerRoutes(): void {
    const repo = '/repos/:owner/:repo';
    this.route('POST', '/app/installations/:id/access_tokens', (c) => this.createInstallationToken(c));
    this.route('GET', repo, async (c) => this.getRepository(c));
    this.route('GET', `${repo}/branches/:rest`, (c) => this.getBranch(c));
    this.route('GET', `${repo}/contents`, (c) => this.getContent(c, ''));
    this.route('GET', `${repo}/contents/:rest`, (c) => this.getContent(c, c.params[2] ?? ''));
    this.route('GET', `${repo}/git/trees/:sha`, (c) => this.getTree(c));
    this.route('POST', `${repo}/git/trees`, (c) => this.createTree(c));
    this.route('GET', `${repo}/git/blobs/:sha`, (c) => this.getBlob(c));
    this.route('POST', `${repo}/git/blobs`, (c) => this.createBlob(c));
    this.route('GET', `${repo}/git/commits/:sha`, (c) => this.getGitCommit(c));
    this.route('POST', `${repo}/git/commits`, (c) => this.createCommit(c));
    this.route('GET', `${repo}/git/ref/:rest`, (c) => this.getRef(c));
    this.route('GET', `${repo}/git/matching-refs/:rest`, (c) => this.matchingRefs(c));
    this.route('POST', `${repo}/git/refs`, (c) => this.createRef(c));
    this.route('PATCH', `${repo}/git/refs/:rest`, (c) => this.updateRef(c));
    this.route('DELETE', `${repo}/git/refs/:rest`, (c) => this.deleteRef(c));
    this.route('GET', `${repo}/pulls`, (c) => this.listPulls(c));
    this.route('POST', `${repo}/pulls`, (c) => this.createPull(c));
    this.route('GET', `${repo}/pulls/:number`, (c) => this.getPull(c));
    this.route('PATCH', `${repo}/pulls/:number`, (c) => this.updatePull(c));
    this.route('PUT', `${repo}/pulls/:number/merge`, (c) => this.mergePull(c));
    this.route('GET', `${repo}/compare/:rest`, (c) => this.compare(c));
    this.route('GET', `${repo}/commits/:sha/pulls`, (c) => this.pullsForCommit(c));
    this.route('POST', `${repo}/issues/:number/labels`, (c) => this.addLabels(c));
    this.route('DELETE', `${repo}/issues/:number/labels/:name`, (c) => this.removeLabel(c));
    this.route('POST', `${repo}/issues/:number/comments`, (c) => this.createComment(c));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.requestCount += 1;
    const startedAt = performance.now();
    const url = new URL(req.url ?? '/', 'http://fake');
    this.requests.push({ method: req.method ?? 'GET', path: url.pathname });
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const rawBody = Buffer.concat(chunks).toString('utf8');
    const targeted = this.targeted.find(
      (entry) => entry.remaining > 0 && entry.method === req.method && entry.path.test(url.pathname),
    );
    if (targeted) targeted.remaining -= 1;
    if (targeted?.fault.kind === 'reset') {
      req.socket.destroy();
      return;
    }
    if (targeted?.fault.kind === 'hang') {
      await new Promise<void>((resolve) => req.socket.once('close', () => resolve()));
      return;
    }
    let body: unknown;
    let reply: Reply;
    if (targeted?.fault.kind === 'status') {
      const { status, message = 'Injected fault', headers = {} } = targeted.fault;
      reply = { ...error(status, message), headers };
    } else {
      try {
        await this.options.beforeHandle?.(req.method ?? 'GET', url.pathname);
        body = rawBody.length > 0 ? JSON.parse(rawBody) : undefined;
        reply = await this.dispatch(req, url, (body ?? {}) as Record<string, unknown>);
      } catch (thrown) {
        reply =
          thrown instanceof SyntaxError
            ? error(400, 'Problems parsing JSON')
            : error(500, `fake GitHub internal error: ${(thrown as Error).message}`);
      }
    }
    const remaining = this.latencyMs - (performance.now() - startedAt);
    if (remaining > 0) await sleep(remaining);
    const headers: Record<string, string> = {
      'x-github-request-id': randomBytes(8).toString('hex').toUpperCase(),
      'x-ratelimit-limit': '5000',
      'x-ratelimit-remaining': '4999',
      'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 3600),
      'x-ratelimit-resource': 'core',
      ...reply.headers,
    };
    if (reply.raw !== undefined) {
      res.writeHead(reply.status, {
        'content-type': 'application/vnd.github.raw; charset=utf-8',
        ...headers,
      });
      res.end(reply.raw);
    } else if (reply.body === undefined) {
      res.writeHead(reply.status, headers);
      res.end();
    } else {
      res.writeHead(reply.status, { 'content-type': 'application/json; charset=utf-8', ...headers });
      res.end(JSON.stringify(reply.body));
    }
    this.options.onExchange?.({
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: Object.fromEntries(
        Object.entries(req.headers).map(([name, value]) => [
          name,
          Array.isArray(value) ? value.join(', ') : (value ?? ''),
        ]),
      ),
      requestBody: body,
      status: reply.status,
      responseBody: reply.raw ?? reply.body,
      startedAt,
      finishedAt: performance.now(),
    });
  }

  private async dispatch(req: IncomingMessage, url: URL, body: Record<string, unknown>): Promise<Reply> {
    const method = req.method ?? 'GET';
    const match = this.routes
      .map((route) => ({ route, found: route.method === method ? route.pattern.exec(url.pathname) : null }))
      .find((candidate) => candidate.found !== null);
    if (!match?.found) return notFound();
    const params = match.found.slice(1).map((param) => decodeURIComponent(param));
    const isAppRoute = url.pathname.startsWith('/app/');
    const authorization = req.headers.authorization ?? '';
    const [scheme = '', credential = ''] = authorization.split(' ');
    if (isAppRoute) {
      const grant: FakeTokenGrant = { login: BOT_USER.login, permission: 'read', type: 'Bot' };
      return match.route.handler({
        params,
        query: url.searchParams,
        body,
        user: BOT_USER,
        grant,
        headers: req.headers,
      });
    }
    if (!/^(token|bearer)$/i.test(scheme) || credential.length === 0)
      return error(401, 'Requires authentication');
    const grant = this.tokens.get(credential);
    if (!grant) return error(401, 'Bad credentials');
    if (params[0] !== this.owner.login || params[1] !== this.repoName) return notFound();
    const fault = this.faults.shift();
    if (fault) return { ...error(fault.status, fault.message), headers: fault.headers };
    if (method !== 'GET' && grant.permission !== 'write') {
      return error(403, 'Resource not accessible by personal access token');
    }
    const user: FakeUser = {
      login: grant.login,
      id: 10000 + [...grant.login].reduce((sum, char) => sum + char.charCodeAt(0), 0),
      type: grant.type ?? 'User',
    };
    return match.route.handler({ params, query: url.searchParams, body, user, grant, headers: req.headers });
  }

  // --- GitHub App installation tokens ---

  private async createInstallationToken(c: Context): Promise<Reply> {
    const app = this.options.app;
    const jwt = /^bearer (.+)$/i.exec(c.headers.authorization ?? '')?.[1];
    if (!app || !jwt) return error(401, 'A JSON web token could not be decoded');
    const [header = '', payload = '', signature = ''] = jwt.split('.');
    const valid = verifySignature(
      'RSA-SHA256',
      Buffer.from(`${header}.${payload}`),
      createPublicKey(app.publicKey),
      Buffer.from(signature, 'base64url'),
    );
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as {
      iss?: unknown;
      exp?: number;
    };
    if (!valid || String(claims.iss) !== String(app.appId) || (claims.exp ?? 0) * 1000 < Date.now()) {
      return error(401, "'Issuer' claim ('iss') must be an Integer, or the JWT signature does not verify");
    }
    if (Number(c.params[0]) !== app.installationId) return notFound();
    const token = `ghs_${randomBytes(18).toString('hex')}`;
    this.tokens.set(token, { login: BOT_USER.login, permission: app.permission, type: 'Bot' });
    const access = app.permission === 'write' ? 'write' : 'read';
    return {
      status: 201,
      body: {
        token,
        expires_at: new Date(Date.now() + 3_600_000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        permissions: { contents: access, pull_requests: access, metadata: 'read' },
        repository_selection: 'selected',
      },
    };
  }

  // --- repository, branches, contents ---

  private getRepository(c: Context): Reply {
    return {
      status: 200,
      body: fullRepositoryPayload(this.coords(), {
        ...this.context(),
        permissions: { admin: false, push: c.grant.permission === 'write', pull: true },
        merge: { ...this.mergeSettings },
      }),
    };
  }

  private async getBranch(c: Context): Promise<Reply> {
    const name = c.params[2] ?? '';
    const sha = await this.repository.refSha(this.headsRef(name));
    const commit = sha ? await this.repository.readCommit(sha) : undefined;
    if (!commit) return error(404, 'Branch not found');
    const url = `${repoApiUrl(this.coords())}/branches/${encodeURIComponent(name)}`;
    return {
      status: 200,
      body: {
        name,
        commit: restCommitPayload(this.coords(), commit),
        _links: { html: `${repoHtmlUrl(this.coords())}/tree/${name}`, self: url },
        protected: false,
        protection: { enabled: false },
        protection_url: `${url}/protection`,
      },
    };
  }

  private async getContent(c: Context, path: string): Promise<Reply> {
    const ref = c.query.get('ref') ?? this.defaultBranch;
    const commit = await this.repository.resolve(ref, 'commit');
    if (!commit) return error(404, `No commit found for the ref ${ref}`);
    const coords = this.coords();
    const item = (entry: { path: string; sha: string; size?: number; type: string }) => {
      const encodedPath = entry.path.split('/').map(encodeURIComponent).join('/');
      const encodedRef = encodeURIComponent(ref);
      const self = `${repoApiUrl(coords)}/contents/${encodedPath}?ref=${encodedRef}`;
      const git = `${repoApiUrl(coords)}/git/${entry.type === 'tree' ? 'trees' : 'blobs'}/${entry.sha}`;
      const html = `${repoHtmlUrl(coords)}/blob/${encodedRef}/${encodedPath}`;
      return {
        type: entry.type === 'tree' ? 'dir' : 'file',
        size: entry.size ?? 0,
        name: entry.path.split('/').pop() ?? entry.path,
        path: entry.path,
        sha: entry.sha,
        url: self,
        git_url: git,
        html_url: html,
        download_url: entry.type === 'tree' ? null : `${coords.webUrl}/raw/${encodedRef}/${encodedPath}`,
        _links: { self, git, html },
      };
    };
    if (path === '' || (await this.repository.objectType(`${commit}:${path}`)) === 'tree') {
      const entries = await this.repository.listTree(path === '' ? commit : `${commit}:${path}`, false);
      return {
        status: 200,
        body: entries.map((entry) =>
          item({ ...entry, path: path === '' ? entry.path : `${path}/${entry.path}` }),
        ),
      };
    }
    const entry = await this.repository.entryAt(commit, path);
    if (!entry || entry.type !== 'blob') return notFound();
    const content = await this.repository.readBlob(entry.sha);
    if ((c.headers.accept ?? '').includes('raw')) return { status: 200, raw: content };
    return {
      status: 200,
      body: { ...item(entry), content: content.toString('base64'), encoding: 'base64' },
    };
  }

  // --- git data ---

  private async getTree(c: Context): Promise<Reply> {
    // GitHub accepts any tree-ish here (a commit SHA or branch name resolves to its tree).
    const treeSha = await this.repository.resolve(c.params[2] ?? '', 'tree');
    if (!treeSha) return notFound();
    return { status: 200, body: await this.treePayload(treeSha, c.query.has('recursive')) };
  }

  private async treePayload(treeSha: string, recursive: boolean) {
    const entries = await this.repository.listTree(treeSha, recursive);
    const base = repoApiUrl(this.coords());
    return {
      sha: treeSha,
      url: `${base}/git/trees/${treeSha}`,
      truncated: false,
      tree: entries.map((entry) => ({
        path: entry.path,
        mode: entry.mode,
        type: entry.type,
        sha: entry.sha,
        ...(entry.size === undefined ? {} : { size: entry.size }),
        url: `${base}/git/${entry.type === 'tree' ? 'trees' : 'blobs'}/${entry.sha}`,
      })),
    };
  }

  private async createTree(c: Context): Promise<Reply> {
    const entries = c.body['tree'];
    if (!Array.isArray(entries)) return validationFailed('Invalid request.\n\n"tree" wasn\'t supplied.');
    const baseTree = c.body['base_tree'];
    if (baseTree !== undefined && (await this.repository.objectType(String(baseTree))) !== 'tree') {
      return validationFailed('base_tree is not a valid tree oid', 'Tree', 'base_tree');
    }
    const existing = baseTree
      ? new Map((await this.repository.listTree(String(baseTree), true)).map((entry) => [entry.path, entry]))
      : new Map();
    const edits: TreeEdit[] = [];
    for (const raw of entries as Record<string, unknown>[]) {
      const path = String(raw['path'] ?? '');
      const mode = String(raw['mode'] ?? '');
      if (!['100644', '100755', '120000'].includes(mode) || raw['type'] !== 'blob') {
        return validationFailed(`tree.mode ${mode} with type ${String(raw['type'])} is not supported here`);
      }
      if ('content' in raw && raw['sha'] !== undefined) {
        return validationFailed('Must supply either tree.sha or tree.content, not both', 'Tree', 'tree');
      }
      if (raw['sha'] === null) {
        if (existing.get(path)?.type !== 'blob')
          return validationFailed('GitRPC::BadObjectState', 'Tree', 'tree');
        edits.push({ path, delete: true });
      } else if (typeof raw['content'] === 'string') {
        edits.push({ path, mode, content: raw['content'] });
      } else if (
        typeof raw['sha'] === 'string' &&
        (await this.repository.objectType(raw['sha'])) === 'blob'
      ) {
        edits.push({ path, mode, sha: raw['sha'] });
      } else {
        return validationFailed(`tree.sha ${String(raw['sha'])} is not a valid blob`, 'Tree', 'tree');
      }
    }
    const sha = await this.repository.buildTree(baseTree ? String(baseTree) : undefined, edits);
    return { status: 201, body: await this.treePayload(sha, false) };
  }

  private async getBlob(c: Context): Promise<Reply> {
    const sha = c.params[2] ?? '';
    if ((await this.repository.objectType(sha)) !== 'blob') return notFound();
    const content = await this.repository.readBlob(sha);
    return {
      status: 200,
      body: {
        sha,
        node_id: Buffer.from(`Blob:${sha}`).toString('base64'),
        size: content.length,
        url: `${repoApiUrl(this.coords())}/git/blobs/${sha}`,
        content: content.toString('base64'),
        encoding: 'base64',
      },
    };
  }

  private async createBlob(c: Context): Promise<Reply> {
    const content = c.body['content'];
    if (typeof content !== 'string') return validationFailed('content is required', 'Blob', 'content');
    const data = c.body['encoding'] === 'base64' ? Buffer.from(content, 'base64') : content;
    const sha = await this.repository.writeBlob(data);
    return { status: 201, body: { sha, url: `${repoApiUrl(this.coords())}/git/blobs/${sha}` } };
  }

  private async getGitCommit(c: Context): Promise<Reply> {
    const commit = await this.repository.readCommit(c.params[2] ?? '');
    if (!commit) return notFound();
    return { status: 200, body: gitCommitPayload(this.coords(), commit) };
  }

  private async createCommit(c: Context): Promise<Reply> {
    const tree = String(c.body['tree'] ?? '');
    const message = c.body['message'];
    const parents = (c.body['parents'] ?? []) as unknown[];
    if (typeof message !== 'string') return validationFailed('message is required', 'Commit', 'message');
    if ((await this.repository.objectType(tree)) !== 'tree') {
      return validationFailed('Tree SHA does not exist', 'Commit', 'tree');
    }
    for (const parent of parents) {
      if ((await this.repository.objectType(String(parent))) !== 'commit') {
        return validationFailed('Parent SHA does not exist or is not a commit object', 'Commit', 'parents');
      }
    }
    const author = (c.body['author'] as { name: string; email: string } | undefined) ?? {
      name: c.user.login,
      email: `${c.user.id}+${c.user.login}@users.noreply.github.com`,
    };
    const sha = await this.repository.commitTree({ tree, parents: parents.map(String), message, author });
    const commit = await this.repository.readCommit(sha);
    return { status: 201, body: gitCommitPayload(this.coords(), commit!) };
  }

  private async getRef(c: Context): Promise<Reply> {
    const ref = `refs/${c.params[2] ?? ''}`;
    const sha = await this.repository.refSha(ref);
    if (!sha) return notFound();
    return { status: 200, body: refPayload(this.coords(), ref, sha) };
  }

  /** GitHub lists the refs that start with the given one (`heads/tunnelbot/`), an empty array when none do. */
  private async matchingRefs(c: Context): Promise<Reply> {
    const prefix = `refs/${c.params[2] ?? ''}`;
    // A plain prefix, as GitHub matches it (`heads/tunnel` matches `heads/tunnelbot/…`), not git's pattern rules.
    const refs = [...(await this.repository.listRefs('refs/'))]
      .filter(([ref]) => ref.startsWith(prefix))
      .sort(([a], [b]) => a.localeCompare(b));
    return { status: 200, body: refs.map(([ref, sha]) => refPayload(this.coords(), ref, sha)) };
  }

  private async createRef(c: Context): Promise<Reply> {
    const ref = String(c.body['ref'] ?? '');
    const sha = String(c.body['sha'] ?? '');
    if (!ref.startsWith('refs/') || ref.split('/').length < 3) {
      return validationFailed(`${ref} is not a valid ref name.`);
    }
    if ((await this.repository.objectType(sha)) !== 'commit')
      return validationFailed('Object does not exist');
    if (!(await this.repository.updateRef(ref, sha, undefined)))
      return validationFailed('Reference already exists');
    this.pushedAt = now();
    return { status: 201, body: refPayload(this.coords(), ref, sha) };
  }

  private async updateRef(c: Context): Promise<Reply> {
    const ref = `refs/${c.params[2] ?? ''}`;
    const sha = String(c.body['sha'] ?? '');
    const current = await this.repository.refSha(ref);
    if (!current) return validationFailed('Reference does not exist');
    if ((await this.repository.objectType(sha)) !== 'commit')
      return validationFailed('Object does not exist');
    if (c.body['force'] !== true && !(await this.repository.isAncestor(current, sha))) {
      return validationFailed('Update is not a fast forward');
    }
    if (!(await this.repository.updateRef(ref, sha, current)))
      return validationFailed('Reference cannot be updated');
    this.pushedAt = now();
    return { status: 200, body: refPayload(this.coords(), ref, sha) };
  }

  private async deleteRef(c: Context): Promise<Reply> {
    const ref = `refs/${c.params[2] ?? ''}`;
    for (const pull of this.pulls) await this.refreshHead(pull);
    if (!(await this.repository.deleteRef(ref))) return validationFailed('Reference does not exist');
    // GitHub closes an open pull request whose head branch disappears.
    for (const pull of this.pulls) {
      if (pull.state === 'open' && `refs/heads/${pull.headRef}` === ref) {
        pull.state = 'closed';
        pull.closedAt = now();
        pull.updatedAt = pull.closedAt;
      }
    }
    return { status: 204 };
  }

  // --- pulls ---

  /** An open PR's head follows its branch, like GitHub's; closed PRs keep the head they closed with. */
  private async refreshHead(pull: PullRecord): Promise<void> {
    if (pull.state !== 'open') return;
    const sha = await this.repository.refSha(`refs/heads/${pull.headRef}`);
    if (sha && sha !== pull.headSha) {
      pull.headSha = sha;
      pull.updatedAt = now();
    }
  }

  private async fullPull(pull: PullRecord): Promise<Reply['body']> {
    await this.refreshHead(pull);
    const baseSha = (await this.repository.refSha(this.headsRef(pull.baseRef))) ?? pull.baseShaAtOpen;
    const mergeBase = (await this.repository.mergeBase(baseSha, pull.headSha)) ?? pull.baseShaAtOpen;
    const numstat = (await this.repository.text(['diff', '--numstat', mergeBase, pull.headSha]))
      .split('\n')
      .filter(Boolean)
      .map((line) => line.split('\t'));
    return pullPayload(this.coords(), pull, {
      ...this.context(),
      mergeable:
        pull.state === 'open'
          ? (await this.repository.mergeTrees(baseSha, pull.headSha)) !== undefined
          : null,
      commits: await this.repository.countCommits(`${mergeBase}..${pull.headSha}`),
      additions: numstat.reduce((sum, [added]) => sum + (Number(added) || 0), 0),
      deletions: numstat.reduce((sum, [, deleted]) => sum + (Number(deleted) || 0), 0),
      changedFiles: numstat.length,
    });
  }

  private findPull(c: Context): PullRecord | undefined {
    return this.pull(Number(c.params[2]));
  }

  private async listPulls(c: Context): Promise<Reply> {
    for (const pull of this.pulls) await this.refreshHead(pull);
    const state = c.query.get('state') ?? 'open';
    const head = c.query.get('head');
    const base = c.query.get('base');
    const matching = this.pulls
      .filter((pull) => state === 'all' || pull.state === state)
      .filter((pull) => !head || `${this.owner.login}:${pull.headRef}` === head)
      .filter((pull) => !base || pull.baseRef === base)
      .sort((a, b) => b.number - a.number);
    const perPage = Math.min(Number(c.query.get('per_page') ?? 30), 100);
    const page = Math.max(Number(c.query.get('page') ?? 1), 1);
    const pageItems = matching.slice((page - 1) * perPage, page * perPage);
    const headers: Record<string, string> = {};
    if (page * perPage < matching.length) {
      const next = new URL(`${repoApiUrl(this.coords())}/pulls`);
      for (const [key, value] of c.query) next.searchParams.set(key, value);
      next.searchParams.set('page', String(page + 1));
      next.searchParams.set('per_page', String(perPage));
      headers['link'] = `<${next.toString()}>; rel="next"`;
    }
    return {
      status: 200,
      headers,
      body: pageItems.map((pull) => pullSimplePayload(this.coords(), pull, this.context())),
    };
  }

  private async createPull(c: Context): Promise<Reply> {
    const title = c.body['title'];
    const headInput = String(c.body['head'] ?? '');
    const baseRef = String(c.body['base'] ?? '');
    const headRef = headInput.includes(':') ? headInput.slice(headInput.indexOf(':') + 1) : headInput;
    if (typeof title !== 'string' || title.length === 0)
      return validationFailed('title is required', 'PullRequest', 'title');
    const headSha = await this.repository.refSha(this.headsRef(headRef));
    const baseSha = await this.repository.refSha(this.headsRef(baseRef));
    if (!baseSha) return pullValidationFailed({ field: 'base' });
    if (!headSha) return pullValidationFailed({ field: 'head' });
    if (await this.repository.isAncestor(headSha, baseSha)) {
      return pullValidationFailed({ message: `No commits between ${baseRef} and ${headRef}` });
    }
    // No await between this check and the push: the event loop makes "one open PR per head" atomic.
    if (
      this.pulls.some((pull) => pull.state === 'open' && pull.headRef === headRef && pull.baseRef === baseRef)
    ) {
      return pullValidationFailed({
        message: `A pull request already exists for ${this.owner.login}:${headRef}.`,
      });
    }
    const created = now();
    const pull: PullRecord = {
      id: (this.nextId += 1),
      number: this.nextNumber++,
      title,
      body: typeof c.body['body'] === 'string' ? c.body['body'] : null,
      state: 'open',
      headRef,
      headSha,
      baseRef,
      baseShaAtOpen: baseSha,
      user: c.user,
      labels: [],
      comments: [],
      createdAt: created,
      updatedAt: created,
      closedAt: null,
      mergedAt: null,
      mergeCommitSha: null,
      mergedBy: null,
    };
    this.pulls.push(pull);
    return { status: 201, body: await this.fullPull(pull) };
  }

  private async getPull(c: Context): Promise<Reply> {
    const pull = this.findPull(c);
    if (!pull) return notFound();
    return { status: 200, body: await this.fullPull(pull) };
  }

  private async updatePull(c: Context): Promise<Reply> {
    const pull = this.findPull(c);
    if (!pull) return notFound();
    await this.refreshHead(pull);
    if (typeof c.body['title'] === 'string') pull.title = c.body['title'];
    if (typeof c.body['body'] === 'string') pull.body = c.body['body'];
    if (c.body['state'] === 'closed' && pull.state === 'open') {
      pull.state = 'closed';
      pull.closedAt = now();
    } else if (c.body['state'] === 'open' && pull.state === 'closed') {
      if (pull.mergedAt)
        return validationFailed('Cannot reopen a merged pull request', 'PullRequest', 'state');
      pull.state = 'open';
      pull.closedAt = null;
    }
    pull.updatedAt = now();
    return { status: 200, body: await this.fullPull(pull) };
  }

  private async mergePull(c: Context): Promise<Reply> {
    const pull = this.findPull(c);
    if (!pull) return notFound();
    const method = c.body['merge_method'] ?? 'merge';
    if (method !== 'merge' && method !== 'squash' && method !== 'rebase')
      return validationFailed('Invalid merge_method', 'PullRequest');
    if (!this.mergeSettings[method]) return error(405, METHOD_NOT_ALLOWED[method]);
    // Retried when the base branch moves during the merge, like GitHub's own compare-and-swap on the base ref.
    for (let attempt = 0; attempt < 5; attempt += 1) {
      await this.refreshHead(pull);
      if (pull.state !== 'open') return error(405, 'Pull Request is not mergeable');
      const expected = c.body['sha'];
      if (typeof expected === 'string' && expected !== pull.headSha) {
        return error(409, 'Head branch was modified. Review and try the merge again.');
      }
      const baseRef = this.headsRef(pull.baseRef);
      const baseSha = await this.repository.refSha(baseRef);
      if (!baseSha) return error(405, 'Base branch was deleted');
      const headSha = pull.headSha;
      const tree = await this.repository.mergeTrees(baseSha, headSha);
      // GitHub's answer to merging a PR that conflicts with its base.
      if (!tree) return error(405, 'Pull Request is not mergeable');
      const merger = { name: c.user.login, email: `${c.user.id}+${c.user.login}@users.noreply.github.com` };
      let sha: string;
      if (method === 'rebase') {
        sha = await this.rebaseOnto(baseSha, headSha);
      } else {
        const defaultTitle =
          method === 'squash'
            ? `${pull.title} (#${pull.number})`
            : `Merge pull request #${pull.number} from ${this.owner.login}/${pull.headRef}`;
        const title = typeof c.body['commit_title'] === 'string' ? c.body['commit_title'] : defaultTitle;
        const body = typeof c.body['commit_message'] === 'string' ? c.body['commit_message'] : pull.title;
        sha = await this.repository.commitTree({
          tree,
          parents: method === 'merge' ? [baseSha, headSha] : [baseSha],
          message: body.length > 0 ? `${title}\n\n${body}` : title,
          author: merger,
        });
      }
      if (pull.state !== 'open' || !(await this.repository.updateRef(baseRef, sha, baseSha))) continue;
      const merged = now();
      Object.assign(pull, { state: 'closed', mergedAt: merged, closedAt: merged, updatedAt: merged });
      pull.mergeCommitSha = sha;
      pull.mergedBy = c.user;
      this.pushedAt = merged;
      return { status: 200, body: { sha, merged: true, message: 'Pull Request successfully merged' } };
    }
    return error(409, 'Base branch was modified. Review and try the merge again.');
  }

  /**
   * GitHub's "Rebase and merge": each commit of the head since the merge base is replayed on the base, keeping its
   * message and author (commit_title/commit_message are ignored); the last one becomes the base. A replayed tree is
   * the base merged with the original commit, whose own history holds the earlier commits of the PR.
   */
  private async rebaseOnto(baseSha: string, headSha: string): Promise<string> {
    const mergeBase = (await this.repository.mergeBase(baseSha, headSha)) ?? baseSha;
    let current = baseSha;
    for (const commit of await this.repository.readCommits(['--reverse', `${mergeBase}..${headSha}`, '--'])) {
      const tree = await this.repository.mergeTrees(current, commit.sha);
      if (!tree) throw new Error(`fake GitHub: ${commit.sha} does not replay onto ${current}`);
      current = await this.repository.commitTree({
        tree,
        parents: [current],
        message: commit.message,
        author: { name: commit.author.name, email: commit.author.email },
      });
    }
    return current;
  }

  // --- commits, compare ---

  private async compare(c: Context): Promise<Reply> {
    const [baseName = '', headName = ''] = (c.params[2] ?? '').split('...');
    const base = await this.repository.resolve(baseName, 'commit');
    const head = await this.repository.resolve(headName, 'commit');
    if (!base || !head) return notFound();
    const mergeBase = await this.repository.mergeBase(base, head);
    if (!mergeBase) return notFound();
    const aheadBy = await this.repository.countCommits(`${mergeBase}..${head}`);
    const behindBy = await this.repository.countCommits(`${mergeBase}..${base}`);
    const status =
      aheadBy === 0 && behindBy === 0
        ? 'identical'
        : behindBy === 0
          ? 'ahead'
          : aheadBy === 0
            ? 'behind'
            : 'diverged';
    const coords = this.coords();
    const commits =
      aheadBy > 0 ? await this.repository.readCommits(['--reverse', `${mergeBase}..${head}`, '--']) : [];
    const [baseCommit] = await this.repository.readCommits(['-1', base, '--']);
    const [mergeBaseCommit] = await this.repository.readCommits(['-1', mergeBase, '--']);
    const url = repoApiUrl(coords);
    const html = repoHtmlUrl(coords);
    return {
      status: 200,
      body: {
        url: `${url}/compare/${baseName}...${headName}`,
        html_url: `${html}/compare/${baseName}...${headName}`,
        permalink_url: `${html}/compare/${base}...${head}`,
        diff_url: `${html}/compare/${baseName}...${headName}.diff`,
        patch_url: `${html}/compare/${baseName}...${headName}.patch`,
        base_commit: restCommitPayload(coords, baseCommit!),
        merge_base_commit: restCommitPayload(coords, mergeBaseCommit!),
        status,
        ahead_by: aheadBy,
        behind_by: behindBy,
        total_commits: aheadBy,
        commits: commits.map((commit) => restCommitPayload(coords, commit)),
      },
    };
  }

  private async pullsForCommit(c: Context): Promise<Reply> {
    const sha = await this.repository.resolve(c.params[2] ?? '', 'commit');
    if (!sha) return error(422, `No commit found for SHA: ${c.params[2] ?? ''}`);
    const found: PullRecord[] = [];
    for (const pull of this.pulls) {
      await this.refreshHead(pull);
      const ownCommit =
        (await this.repository.isAncestor(sha, pull.headSha)) &&
        !(await this.repository.isAncestor(sha, pull.baseShaAtOpen));
      if (pull.mergeCommitSha === sha || ownCommit) found.push(pull);
    }
    return { status: 200, body: found.map((pull) => pullSimplePayload(this.coords(), pull, this.context())) };
  }

  // --- issues: labels and comments ---

  private async addLabels(c: Context): Promise<Reply> {
    const pull = this.findPull(c);
    if (!pull) return notFound();
    const requested = Array.isArray(c.body['labels']) ? (c.body['labels'] as unknown[]) : [];
    for (const item of requested) {
      const name = typeof item === 'string' ? item : String((item as { name?: unknown }).name ?? '');
      let label = this.labels.get(name);
      if (!label) {
        label = { id: (this.nextId += 1), name, color: 'ededed' };
        this.labels.set(name, label);
      }
      if (!pull.labels.some((existing) => existing.name === name)) pull.labels.push(label);
    }
    return { status: 200, body: pull.labels.map((label) => labelPayload(this.coords(), label)) };
  }

  /** GitHub answers 404 "Label does not exist" for a label the issue does not have, 200 with the rest otherwise. */
  private async removeLabel(c: Context): Promise<Reply> {
    const pull = this.findPull(c);
    if (!pull) return notFound();
    const index = pull.labels.findIndex((label) => label.name === c.params[3]);
    if (index === -1) return error(404, 'Label does not exist');
    pull.labels.splice(index, 1);
    return { status: 200, body: pull.labels.map((label) => labelPayload(this.coords(), label)) };
  }

  private async createComment(c: Context): Promise<Reply> {
    const pull = this.findPull(c);
    if (!pull) return notFound();
    const body = c.body['body'];
    if (typeof body !== 'string' || body.length === 0)
      return validationFailed('body is required', 'IssueComment', 'body');
    const comment = { id: (this.nextId += 1), body, user: c.user, createdAt: now() };
    pull.comments.push(comment);
    return { status: 201, body: commentPayload(this.coords(), pull.number, comment) };
  }
}
