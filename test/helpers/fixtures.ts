import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readRepoDir } from '../../src/cli/repo-dir.js';
import type { RepoSnapshot } from '../../src/core/snapshot.js';

export const FIXTURE_REPOS = join(import.meta.dirname, '..', 'fixtures', 'repos');

export function readFixtureRepo(name: string): RepoSnapshot {
  return readRepoDir(join(FIXTURE_REPOS, name));
}

/** A throwaway copy of a fixture repository that a test may modify. */
export function copyFixtureRepo(name: string): string {
  const directory = mkdtempSync(join(tmpdir(), `tunnelbot-${name}-`));
  cpSync(join(FIXTURE_REPOS, name), directory, { recursive: true });
  return directory;
}
