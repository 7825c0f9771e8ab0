import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';

export class GitCommandError extends Error {
  constructor(
    readonly args: readonly string[],
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    super(`git ${args.join(' ')} exited with ${exitCode}: ${stderr.trim()}`);
  }
}

export interface GitPerson {
  name: string;
  email: string;
  /** ISO 8601 */
  date: string;
}

export interface CommitRecord {
  sha: string;
  tree: string;
  parents: string[];
  author: GitPerson;
  committer: GitPerson;
  message: string;
}

export interface TreeEntry {
  mode: string;
  type: 'blob' | 'tree' | 'commit';
  sha: string;
  size?: number;
  path: string;
}

export type TreeEdit =
  | { path: string; mode: string; content: string }
  | { path: string; mode: string; sha: string }
  | { path: string; delete: true };

const FIELD = '\u001f';
const RECORD = '\u001e';
const COMMIT_FORMAT =
  ['%H', '%T', '%P', '%an', '%ae', '%aI', '%cn', '%ce', '%cI', '%B'].join('%x1f') + '%x1e';

const OBJECT_ID = /^[0-9a-f]{40}$/;

/**
 * A bare repository driven through the git CLI. The fake GitHub stores everything here, so tests can `git clone` the
 * result and see exactly what GitHub would hold. Objects are content-addressed and never change, so what is read
 * of one by its id is kept, and blobs are written as loose objects directly: a git process costs a fork of the
 * test process, the largest part of a fake request's time.
 */
export class BareRepository {
  private readonly types = new Map<string, string>();
  private readonly blobs = new Map<string, Buffer>();
  private readonly trees = new Map<string, TreeEntry[]>();
  private written = 0;

  private constructor(readonly path: string) {}

  static async create(defaultBranch: string): Promise<BareRepository> {
    const dir = await mkdtemp(join(tmpdir(), 'tunnelbot-fake-github-'));
    const repo = new BareRepository(dir);
    await repo.git(['init', '--quiet', '--bare', `--initial-branch=${defaultBranch}`]);
    return repo;
  }

  async dispose(): Promise<void> {
    // A request still writing an object as the fake closes: rm retries the directory it emptied meanwhile.
    await rm(this.path, { recursive: true, force: true, maxRetries: 5, retryDelay: 20 });
  }

  git(
    args: readonly string[],
    options: { input?: string | Buffer; env?: NodeJS.ProcessEnv } = {},
  ): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const child = spawn('git', args, {
        cwd: this.path,
        env: { ...process.env, GIT_DIR: this.path, GIT_CONFIG_NOSYSTEM: '1', ...options.env },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
      child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
      child.on('error', reject);
      child.on('close', (code) => {
        if (code === 0) resolve(Buffer.concat(out));
        else reject(new GitCommandError(args, code, Buffer.concat(err).toString('utf8')));
      });
      // A git command that exits without reading stdin closes the pipe; its exit code already reports failures.
      child.stdin.on('error', () => undefined);
      if (options.input === undefined) child.stdin.end();
      else child.stdin.end(options.input);
    });
  }

  async text(args: readonly string[], options?: { input?: string | Buffer; env?: NodeJS.ProcessEnv }) {
    return (await this.git(args, options)).toString('utf8').trim();
  }

  /** What `git hash-object -w` does: the blob's id, and its zlib-compressed loose object under objects/. */
  async writeBlob(content: string | Buffer): Promise<string> {
    const data = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
    const object = Buffer.concat([Buffer.from(`blob ${data.length}\0`), data]);
    const sha = createHash('sha1').update(object).digest('hex');
    if (!this.types.has(sha)) {
      const directory = join(this.path, 'objects', sha.slice(0, 2));
      await mkdir(directory, { recursive: true });
      // Written aside and renamed, as git does: a reader never sees half an object.
      const temporary = join(directory, `tmp_${process.pid}_${(this.written += 1)}`);
      await writeFile(temporary, deflateSync(object), { mode: 0o444 });
      await rename(temporary, join(directory, sha.slice(2)));
      this.types.set(sha, 'blob');
      this.blobs.set(sha, data);
    }
    return sha;
  }

  async readBlob(sha: string): Promise<Buffer> {
    const known = this.blobs.get(sha);
    if (known) return known;
    const blob = await this.git(['cat-file', 'blob', sha]);
    if (OBJECT_ID.test(sha)) this.blobs.set(sha, blob);
    return blob;
  }

  /** Resolves a revision to an object id of the wanted type, or undefined when there is none. */
  async resolve(
    revision: string,
    type: 'commit' | 'tree' | 'blob' | 'any' = 'any',
  ): Promise<string | undefined> {
    const spec = type === 'any' ? revision : `${revision}^{${type}}`;
    try {
      return await this.text(['rev-parse', '--verify', '--quiet', '--end-of-options', spec]);
    } catch {
      return undefined;
    }
  }

  async objectType(sha: string): Promise<string | undefined> {
    const known = this.types.get(sha);
    if (known) return known;
    try {
      const type = await this.text(['cat-file', '-t', sha]);
      if (OBJECT_ID.test(sha)) this.types.set(sha, type);
      return type;
    } catch {
      return undefined;
    }
  }

  /** A new tree: `base` (or empty) with the edits applied, through a private index so nesting is git's job. */
  async buildTree(base: string | undefined, edits: readonly TreeEdit[]): Promise<string> {
    const indexDir = await mkdtemp(join(tmpdir(), 'tunnelbot-fake-index-'));
    const env = { GIT_INDEX_FILE: join(indexDir, 'index') };
    try {
      await this.git(base ? ['read-tree', base] : ['read-tree', '--empty'], { env });
      const lines: string[] = [];
      for (const edit of edits) {
        if ('delete' in edit) {
          lines.push(`0 ${'0'.repeat(40)}\t${edit.path}`);
        } else {
          const sha = 'content' in edit ? await this.writeBlob(edit.content) : edit.sha;
          lines.push(`${edit.mode} ${sha}\t${edit.path}`);
        }
      }
      if (lines.length > 0)
        await this.git(['update-index', '--index-info'], { env, input: lines.join('\n') + '\n' });
      return await this.text(['write-tree'], { env });
    } finally {
      await rm(indexDir, { recursive: true, force: true });
    }
  }

  async listTree(treeish: string, recursive: boolean, path?: string): Promise<TreeEntry[]> {
    const key = `${treeish} ${recursive} ${path ?? ''}`;
    const known = this.trees.get(key);
    if (known) return known.map((entry) => ({ ...entry }));
    const entries = await this.readTree(treeish, recursive, path);
    if (OBJECT_ID.test(treeish))
      this.trees.set(
        key,
        entries.map((entry) => ({ ...entry })),
      );
    return entries;
  }

  private async readTree(treeish: string, recursive: boolean, path?: string): Promise<TreeEntry[]> {
    const args = [
      'ls-tree',
      '-l',
      '-z',
      ...(recursive ? ['-r', '-t'] : []),
      treeish,
      ...(path ? ['--', path] : []),
    ];
    const raw = (await this.git(args)).toString('utf8');
    return raw
      .split('\0')
      .filter((line) => line.length > 0)
      .map((line) => {
        const [meta = '', path = ''] = line.split('\t');
        const [mode = '', type = '', sha = '', size = '-'] = meta.split(/\s+/);
        const entry: TreeEntry = { mode, type: type as TreeEntry['type'], sha, path };
        if (size !== '-') entry.size = Number(size);
        return entry;
      });
  }

  async entryAt(commit: string, path: string): Promise<TreeEntry | undefined> {
    const entries = await this.listTree(commit, false, path);
    return entries.find((entry) => entry.path === path);
  }

  async commitTree(input: {
    tree: string;
    parents: readonly string[];
    message: string;
    author: { name: string; email: string };
    date?: Date;
  }): Promise<string> {
    const date = (input.date ?? new Date()).toISOString();
    const env = {
      GIT_AUTHOR_NAME: input.author.name,
      GIT_AUTHOR_EMAIL: input.author.email,
      GIT_AUTHOR_DATE: date,
      GIT_COMMITTER_NAME: input.author.name,
      GIT_COMMITTER_EMAIL: input.author.email,
      GIT_COMMITTER_DATE: date,
    };
    const parents = input.parents.flatMap((parent) => ['-p', parent]);
    return this.text(['commit-tree', input.tree, ...parents, '-F', '-'], { env, input: input.message });
  }

  async readCommits(args: readonly string[]): Promise<CommitRecord[]> {
    const raw = (await this.git(['log', `--format=${COMMIT_FORMAT}`, ...args])).toString('utf8');
    return raw
      .split(RECORD)
      .map((record) => record.replace(/^\n/, ''))
      .filter((record) => record.length > 0)
      .map((record) => {
        const [
          sha = '',
          tree = '',
          parents = '',
          an = '',
          ae = '',
          ad = '',
          cn = '',
          ce = '',
          cd = '',
          message = '',
        ] = record.split(FIELD);
        return {
          sha,
          tree,
          parents: parents.length > 0 ? parents.split(' ') : [],
          author: { name: an, email: ae, date: new Date(ad).toISOString().replace('.000Z', 'Z') },
          committer: { name: cn, email: ce, date: new Date(cd).toISOString().replace('.000Z', 'Z') },
          message: message.replace(/\n$/, ''),
        };
      });
  }

  async readCommit(sha: string): Promise<CommitRecord | undefined> {
    if ((await this.objectType(sha)) !== 'commit') return undefined;
    const [commit] = await this.readCommits(['-1', sha, '--']);
    return commit;
  }

  async refSha(ref: string): Promise<string | undefined> {
    try {
      return await this.text(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
    } catch {
      return undefined;
    }
  }

  async listRefs(prefix: string): Promise<Map<string, string>> {
    const raw = await this.text(['for-each-ref', '--format=%(refname) %(objectname)', prefix]);
    const refs = new Map<string, string>();
    for (const line of raw.split('\n').filter(Boolean)) {
      const [name = '', sha = ''] = line.split(' ');
      refs.set(name, sha);
    }
    return refs;
  }

  /**
   * Compare-and-swap on a ref: `expected` undefined means "must not exist". git's ref lock makes this atomic, which
   * is what lets the fake reproduce GitHub's "Reference already exists" race faithfully.
   */
  async updateRef(ref: string, sha: string, expected: string | undefined): Promise<boolean> {
    try {
      await this.git(['update-ref', ref, sha, expected ?? '']);
      return true;
    } catch (error) {
      if (error instanceof GitCommandError) return false;
      throw error;
    }
  }

  async deleteRef(ref: string): Promise<boolean> {
    const current = await this.refSha(ref);
    if (!current) return false;
    try {
      await this.git(['update-ref', '-d', ref, current]);
      return true;
    } catch (error) {
      if (error instanceof GitCommandError) return false;
      throw error;
    }
  }

  async isAncestor(ancestor: string, descendant: string): Promise<boolean> {
    try {
      await this.git(['merge-base', '--is-ancestor', ancestor, descendant]);
      return true;
    } catch (error) {
      if (error instanceof GitCommandError && error.exitCode === 1) return false;
      throw error;
    }
  }

  async mergeBase(a: string, b: string): Promise<string | undefined> {
    try {
      return await this.text(['merge-base', a, b]);
    } catch {
      return undefined;
    }
  }

  /** Three-way merge without a worktree; undefined on conflicts. */
  async mergeTrees(ours: string, theirs: string): Promise<string | undefined> {
    try {
      const out = await this.text(['merge-tree', '--write-tree', '--no-messages', ours, theirs]);
      return out.split('\n')[0];
    } catch (error) {
      if (error instanceof GitCommandError && error.exitCode === 1) return undefined;
      throw error;
    }
  }

  async countCommits(range: string): Promise<number> {
    return Number(await this.text(['rev-list', '--count', range]));
  }
}
