/**
 * The GitOps repository as planners see it: file contents by repo-relative path (`/` separators, no leading `./`),
 * read at one commit. The CLI builds it from a working tree, the GitHub adapter from a tree at the base SHA.
 */
export interface RepoSnapshot {
  /** The commit the files were read at; absent for a local working tree. */
  readonly baseSha?: string;
  readonly files: ReadonlyMap<string, string>;
}

/** Reads one repo-relative file, or undefined when it does not exist. */
export type FileLookup = (path: string) => string | undefined;

export function lookupIn(snapshot: RepoSnapshot): FileLookup {
  return (path) => snapshot.files.get(path);
}

/** The files a planner reads: YAML, dotfiles such as `.sops.yaml` included. */
export function isYamlPath(path: string): boolean {
  return path.endsWith('.yaml') || path.endsWith('.yml');
}
