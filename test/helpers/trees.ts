import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { readRepoDir } from '../../src/cli/repo-dir.js';

/** Every file of a directory tree with its content, for byte-exact before/after comparisons. */
export function treeContents(root: string): Map<string, string> {
  return new Map([...readRepoDir(root).files].sort(([a], [b]) => a.localeCompare(b)));
}

/** `kubectl kustomize DIR`: the real kustomize build the Flux kustomize-controller also runs. */
export function kustomizeBuild(directory: string): string {
  return execFileSync('kubectl', ['kustomize', directory], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/**
 * Compares `actual` with a golden file; `UPDATE_GOLDEN=1 npm test` rewrites the golden files, which are then
 * reviewed in the diff like any other change.
 */
export function matchesGolden(goldenPath: string, actual: string): void {
  if (process.env['UPDATE_GOLDEN'] === '1' || !existsSync(goldenPath)) {
    if (process.env['CI'] && !existsSync(goldenPath))
      throw new Error(`Golden file ${goldenPath} is missing.`);
    mkdirSync(dirname(goldenPath), { recursive: true });
    writeFileSync(goldenPath, actual);
    return;
  }
  const expected = readFileSync(goldenPath, 'utf8');
  if (expected !== actual) {
    throw new Error(`${goldenPath} differs from the output:\n--- golden\n${expected}\n--- actual\n${actual}`);
  }
}

export const GOLDEN = join(import.meta.dirname, '..', 'fixtures', 'golden');
