import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { createTwoFilesPatch } from 'diff';
import type { ChangeSet } from '../core/changeset.js';
import type { RepoSnapshot } from '../core/snapshot.js';
import { TunnelbotError } from '../errors.js';

/** A local checkout of the GitOps repository, read into a snapshot and written back from a change set. */

const SKIPPED_DIRECTORIES = new Set(['.git', 'node_modules']);
const MAX_FILE_BYTES = 2 * 1024 * 1024;

export function readRepoDir(root: string): RepoSnapshot {
  if (!existsSync(root) || !statSync(root).isDirectory()) {
    throw new TunnelbotError('TB_ERR_FILE_READ', `The repository directory ${root} does not exist.`, {
      fix: 'Pass the path of a local checkout of the GitOps repository with --repo.',
    });
  }
  const files = new Map<string, string>();
  const walk = (directory: string): void => {
    for (const entry of readdirSync(directory, { withFileTypes: true })) {
      const path = join(directory, entry.name);
      if (entry.isDirectory()) {
        if (!SKIPPED_DIRECTORIES.has(entry.name)) walk(path);
      } else if (entry.isFile() && statSync(path).size <= MAX_FILE_BYTES) {
        const bytes = readFileSync(path);
        // Binary files are never planned on; their paths still matter when a directory is removed.
        files.set(relative(root, path).split(sep).join('/'), bytes.includes(0) ? '' : bytes.toString('utf8'));
      }
    }
  };
  walk(root);
  return { files };
}

export function applyChangeSet(root: string, changeSet: ChangeSet): void {
  for (const file of changeSet.files) {
    const path = join(root, ...file.path.split('/'));
    if (file.change === 'deleted') {
      if (existsSync(path)) unlinkSync(path);
      removeEmptyParents(root, dirname(path));
    } else {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, file.content);
    }
  }
}

function removeEmptyParents(root: string, directory: string): void {
  let current = directory;
  while (
    current.startsWith(root) &&
    current !== root &&
    existsSync(current) &&
    readdirSync(current).length === 0
  ) {
    rmdirSync(current);
    current = dirname(current);
  }
}

/** A unified diff of the change set against the snapshot it was planned on, like `git diff`. */
export function renderDiff(snapshot: RepoSnapshot, changeSet: ChangeSet): string {
  return changeSet.files
    .map((file) => {
      const before = snapshot.files.get(file.path) ?? '';
      const after = file.change === 'deleted' ? '' : file.content;
      const from = file.change === 'added' ? '/dev/null' : `a/${file.path}`;
      const to = file.change === 'deleted' ? '/dev/null' : `b/${file.path}`;
      return createTwoFilesPatch(from, to, before, after, undefined, undefined, { context: 3 })
        .split('\n')
        .filter((line) => !line.startsWith('====='))
        .join('\n');
    })
    .join('');
}
