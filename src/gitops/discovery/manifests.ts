import { parseAllDocuments } from 'yaml';
import { documentData } from '../yaml-error.js';
import { isYamlPath, type RepoSnapshot } from '../../core/snapshot.js';
import { byCodeUnits } from '../../core/text-order.js';

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
  for (const [path, text] of [...snapshot.files].sort(([a], [b]) => byCodeUnits(a, b))) {
    if (!isYamlPath(path) || path.split('/').pop() === '.sops.yaml') continue;
    const values = parseFile(text);
    if (values === undefined) {
      unreadable.push(path);
      continue;
    }
    values.forEach((value, index) => {
      if (value !== null) documents.push({ path, index, documentsInFile: values.length, value });
    });
  }
  return { documents, unreadable };
}

/**
 * The documents of one file as plain data (null where a document is not a mapping), or undefined when the file is
 * not valid YAML. Parsing is most of the work of every request (each reads the whole repository, and a burst of
 * commands reads the same commit), so results are remembered by the file's text: the same bytes parse the same.
 * They are frozen, since every caller shares them.
 */
function parseFile(text: string): ReadonlyArray<Record<string, unknown> | null> | undefined {
  const known = parsedFiles.get(text);
  if (known !== undefined || parsedFiles.has(text)) {
    // Most recently used last, so the oldest entry is the one forgotten.
    parsedFiles.delete(text);
    parsedFiles.set(text, known);
    return known;
  }
  const parsed = parseAllDocuments(text);
  let values: Array<Record<string, unknown> | null> | undefined;
  const read = Array.isArray(parsed) ? parsed.map(documentData) : undefined;
  // Bad syntax, or data yaml cannot build (an alias without its anchor, an alias bomb): not ours either.
  if (read?.every((document): document is { data: unknown } => 'data' in document)) {
    values = read.map(({ data }) =>
      data && typeof data === 'object' && !Array.isArray(data)
        ? (deepFreeze(data) as Record<string, unknown>)
        : null,
    );
  }
  if (text.length <= MAX_REMEMBERED_CHARS) {
    parsedFiles.set(text, values && Object.freeze(values));
    if (parsedFiles.size > MAX_REMEMBERED_FILES) parsedFiles.delete(parsedFiles.keys().next().value!);
  }
  return values;
}

const MAX_REMEMBERED_FILES = 4096;
const MAX_REMEMBERED_CHARS = 256 * 1024;
const parsedFiles = new Map<string, ReadonlyArray<Record<string, unknown> | null> | undefined>();

function deepFreeze(value: unknown): unknown {
  // `!!binary` reads as a Uint8Array, which cannot be frozen (nor is it data tunnelbot reads).
  if (value !== null && typeof value === 'object' && !ArrayBuffer.isView(value) && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
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
