import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The shared reference data (`shared/`) lives beside the repository: CI clones the repo with `shared/` as a sibling.
 * Tests that need it fail with this message instead of an ENOENT deep inside a test.
 */
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

export const SHARED_DIR = join(repoRoot, '..', 'shared');

export function sharedPath(...parts: string[]): string {
  const path = join(SHARED_DIR, ...parts);
  if (!existsSync(path)) {
    throw new Error(
      `Missing shared test data: ${path}. Check out the tunnelbot shared/ directory as a sibling of the repository (../shared).`,
    );
  }
  return path;
}
