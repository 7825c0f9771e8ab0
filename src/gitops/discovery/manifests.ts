import { parseAllDocuments } from 'yaml';
import { isYamlPath, type RepoSnapshot } from '../../core/snapshot.js';

/** One YAML document of the repository, as plain data, with where it came from. */
export interface ManifestDocument {
  readonly path: string;
  readonly index: number;
  /** How many documents the file holds: a lone document may be a whole config file. */
  readonly documentsInFile: number;
  readonly value: Record<string, unknown>;
}

export interface ParsedRepository {
  readonly documents: readonly ManifestDocument[];
  /** Files that are not valid YAML: reported as warnings, never fatal, since they are not ours. */
  readonly unreadable: readonly string[];
}

export function parseRepository(snapshot: RepoSnapshot): ParsedRepository {
  const documents: ManifestDocument[] = [];
  const unreadable: string[] = [];
  for (const [path, text] of [...snapshot.files].sort(([a], [b]) => a.localeCompare(b))) {
    if (!isYamlPath(path) || path.split('/').pop() === '.sops.yaml') continue;
    const parsed = parseAllDocuments(text);
    if (!Array.isArray(parsed) || parsed.some((document) => document.errors.length > 0)) {
      unreadable.push(path);
      continue;
    }
    let values: unknown[];
    try {
      values = parsed.map((document) => document.toJS({ maxAliasCount: 100 }) as unknown);
    } catch {
      // An alias without its anchor, or more aliases than the bound: valid syntax, no data. Not ours either.
      unreadable.push(path);
      continue;
    }
    values.forEach((value, index) => {
      if (value && typeof value === 'object' && !Array.isArray(value)) {
        documents.push({
          path,
          index,
          documentsInFile: parsed.length,
          value: value as Record<string, unknown>,
        });
      }
    });
  }
  return { documents, unreadable };
}

export function dirname(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash === -1 ? '' : path.slice(0, slash);
}

export function joinPath(...parts: string[]): string {
  return parts.filter((part) => part !== '' && part !== '.').join('/');
}

/** Whether `path` is `directory` itself or inside it; the repository root is ''. */
export function isWithin(path: string, directory: string): boolean {
  return directory === '' || path === directory || path.startsWith(`${directory}/`);
}

export function field(value: unknown, ...keys: string[]): unknown {
  let current = value;
  for (const key of keys) {
    if (!current || typeof current !== 'object' || Array.isArray(current)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

export function stringField(value: unknown, ...keys: string[]): string | undefined {
  const found = field(value, ...keys);
  return typeof found === 'string' ? found : undefined;
}
