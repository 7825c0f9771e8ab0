/**
 * A change set is what one tunnelbot request does to the GitOps repository: the exact file contents to write
 * and the paths to delete, relative to the repository root with `/` separators. Planners produce it without I/O;
 * the CLI writes it to a working tree and the GitHub adapter turns it into one commit.
 */
export interface FileWrite {
  readonly path: string;
  readonly content: string;
  /** `added` when the file did not exist in the snapshot the plan was made from. */
  readonly change: 'added' | 'modified';
}

export interface FileDelete {
  readonly path: string;
  readonly change: 'deleted';
}

export type FileChange = FileWrite | FileDelete;

export interface ChangeSet {
  readonly files: readonly FileChange[];
  /** Human summary for the PR body, Slack and the CLI; never contains a secret. */
  readonly summary: string;
  readonly warnings: readonly string[];
}

/** One line per file, as a request's message lists what will change. */
export function changeLines(changeSet: ChangeSet): string[] {
  return changeSet.files.map((file) => `${file.change} ${file.path}`);
}
