import { isMap, isScalar, parseAllDocuments, parseDocument, Scalar } from 'yaml';
import { TunnelbotError } from '../errors.js';
import type { RepoSnapshot } from '../core/snapshot.js';
import { parseCloudflaredConfig, routedHostnames } from './cloudflared/index.js';
import { parseRepository, type ManifestDocument, type ParsedRepository } from './discovery/manifests.js';
import { byCodeUnits } from '../core/text-order.js';
import { documentData } from './yaml-error.js';

/**
 * cloudflared configs live in GitOps repos in two shapes: a config.yaml file (used by a configMapGenerator) or
 * an inline ConfigMap whose `data` holds the file as a block scalar (the seed article's layout). This module finds
 * both and edits the embedded one without touching a byte of the surrounding manifest.
 */

export type ConfigLocation =
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'configmap'; readonly path: string; readonly document: number; readonly key: string };

export interface RepoTunnelConfig {
  readonly location: ConfigLocation;
  readonly tunnel: string | undefined;
  readonly hostnames: readonly string[];
  readonly text: string;
}

function looksLikeCloudflaredConfig(value: unknown): boolean {
  return (
    !!value &&
    typeof value === 'object' &&
    !Array.isArray(value) &&
    Array.isArray((value as { ingress?: unknown }).ingress)
  );
}

export function describeLocation(location: ConfigLocation): string {
  return location.kind === 'file' ? location.path : `${location.path} (ConfigMap data."${location.key}")`;
}

/**
 * Every cloudflared config in the repository, with the hostnames it routes. A planner that has already parsed the
 * repository passes it, so the files are not parsed twice.
 */
export function findTunnelConfigs(
  snapshot: RepoSnapshot,
  repository: ParsedRepository = parseRepository(snapshot),
): RepoTunnelConfig[] {
  return locateConfigs(repository.documents)
    .map((location) => {
      const inner = readConfig(snapshot.files.get(location.path)!, location);
      return {
        location,
        tunnel: parseCloudflaredConfig(inner, describeLocation(location)).tunnel,
        hostnames: routedHostnames(inner),
        text: inner,
      };
    })
    .sort((a, b) => byCodeUnits(a.location.path, b.location.path));
}

/**
 * The cloudflared configs inside the ConfigMaps of one manifest file (`tunnelbot validate` on what `plan` edits),
 * each named by where it sits; none when the file is no such manifest (a plain config.yaml, or invalid YAML).
 */
export function configMapConfigs(text: string, path: string): { name: string; text: string }[] {
  // parseRepository reads YAML paths only; the name the user gave comes back through describeLocation.
  const { documents } = parseRepository({ files: new Map([['manifest.yaml', text]]) });
  return locateConfigs(documents).flatMap((location) =>
    location.kind === 'configmap'
      ? [{ name: describeLocation({ ...location, path }), text: readConfig(text, location) }]
      : [],
  );
}

function locateConfigs(documents: readonly ManifestDocument[]): ConfigLocation[] {
  const locations: ConfigLocation[] = [];
  for (const { path, index, documentsInFile, value } of documents) {
    if (looksLikeCloudflaredConfig(value) && documentsInFile === 1) {
      locations.push({ kind: 'file', path });
      continue;
    }
    const object = value as { kind?: unknown; data?: unknown };
    if (object.kind !== 'ConfigMap' || !object.data || typeof object.data !== 'object') continue;
    for (const [key, embedded] of Object.entries(object.data as Record<string, unknown>)) {
      if (typeof embedded !== 'string') continue;
      const read = documentData(parseDocument(embedded));
      if ('data' in read && looksLikeCloudflaredConfig(read.data)) {
        locations.push({ kind: 'configmap', path, document: index, key });
      }
    }
  }
  return locations;
}

interface EmbeddedBlock {
  /** Offset where the block's content lines start (after the `|` header line). */
  readonly start: number;
  readonly end: number;
  readonly indent: number;
  readonly rawLines: string[];
}

function embeddedBlock(
  text: string,
  location: Extract<ConfigLocation, { kind: 'configmap' }>,
): EmbeddedBlock {
  const document = parseAllDocuments(text)[location.document];
  const data = document && 'get' in document ? document.get('data', true) : undefined;
  const node = isMap(data)
    ? data.items.find((pair) => isScalar(pair.key) && pair.key.value === location.key)?.value
    : undefined;
  if (!isScalar(node) || node.type !== Scalar.BLOCK_LITERAL || !node.range) {
    throw new TunnelbotError(
      'TB_ERR_PLAN_SHARED_CONFIG',
      `${location.path}: ConfigMap data."${location.key}" is not a literal block scalar (\`${location.key}: |\`), so it cannot be edited in place.`,
      { fix: `Write data."${location.key}" as a \`|\` block, as in the cloudflared Kubernetes guide.` },
    );
  }
  const headerEnd = text.indexOf('\n', node.range[0]);
  const start = headerEnd + 1;
  const end = node.range[1];
  const header = text.slice(node.range[0], headerEnd);
  const rawLines = text.slice(start, end).split('\n');
  const explicit = /\d/.exec(header);
  const firstContent = rawLines.find((line) => line.trim() !== '') ?? '';
  const indent = explicit
    ? Number(explicit[0]) + indentOfLine(text, node.range[0])
    : firstContent.length - firstContent.trimStart().length;
  return { start, end, indent, rawLines };
}

function indentOfLine(text: string, offset: number): number {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  const line = text.slice(lineStart);
  return line.length - line.trimStart().length;
}

function dedent(line: string, indent: number): string {
  const spaces = line.length - line.replace(/^ +/, '').length;
  return line.slice(Math.min(spaces, indent));
}

export function readConfig(text: string, location: ConfigLocation): string {
  if (location.kind === 'file') return text;
  const block = embeddedBlock(text, location);
  return block.rawLines.map((line) => dedent(line, block.indent)).join('\n');
}

/**
 * Applies `edit` to the config at `location` and returns the new file text. For an embedded config only the
 * lines that changed are re-indented; every other line of the manifest is kept as it was.
 */
export function editConfig(text: string, location: ConfigLocation, edit: (config: string) => string): string {
  if (location.kind === 'file') return edit(text);
  const block = embeddedBlock(text, location);
  const before = block.rawLines.map((line) => dedent(line, block.indent));
  const after = edit(before.join('\n')).split('\n');
  let prefix = 0;
  while (prefix < before.length && prefix < after.length && before[prefix] === after[prefix]) prefix += 1;
  let suffix = 0;
  while (
    suffix < before.length - prefix &&
    suffix < after.length - prefix &&
    before[before.length - 1 - suffix] === after[after.length - 1 - suffix]
  ) {
    suffix += 1;
  }
  const pad = ' '.repeat(block.indent);
  const middle = after.slice(prefix, after.length - suffix).map((line) => (line === '' ? '' : pad + line));
  const lines = [
    ...block.rawLines.slice(0, prefix),
    ...middle,
    ...block.rawLines.slice(block.rawLines.length - suffix),
  ];
  return text.slice(0, block.start) + lines.join('\n') + text.slice(block.end);
}
