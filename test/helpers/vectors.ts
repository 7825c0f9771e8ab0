import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Real data written by the real tools (sops, notification-controller), kept in the repository: test/vectors/. */
export const VECTORS_DIR = fileURLToPath(new URL('../vectors/', import.meta.url));

export function vectorPath(...parts: string[]): string {
  const path = join(VECTORS_DIR, ...parts);
  if (!existsSync(path)) throw new Error(`Missing test vector ${path}; see test/vectors/README.md.`);
  return path;
}
