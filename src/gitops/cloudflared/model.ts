/** The cloudflared `config.yaml` as tunnelbot sees it (keys as in cloudflared's `config.Configuration`). */

export interface IngressRule {
  hostname?: string;
  path?: string;
  service?: string;
  originRequest?: Record<string, unknown>;
}

/** Where something is in the source text: offsets are 0-based, lines and columns 1-based. */
export interface SourceSpan {
  start: number;
  end: number;
  line: number;
  column: number;
  endLine: number;
}

export interface CloudflaredConfig {
  tunnel?: string;
  credentialsFile?: string;
  ingress: IngressRule[];
  /** Defaults for every rule; a rule's own `originRequest` overrides them key by key. */
  originRequest?: Record<string, unknown>;
  warpRouting?: Record<string, unknown>;
  /** Every other top-level key: cloudflared reads them as command-line flags (metrics, no-autoupdate, protocol…). */
  flags?: Record<string, unknown>;
  fileName?: string;
}

export interface ParsedCloudflaredConfig extends CloudflaredConfig {
  flags: Record<string, unknown>;
  /** Source position of each ingress rule, index for index. */
  ruleSpans: SourceSpan[];
  /** Keys cloudflared's strict second decode reports ("field x not found in type …"); not errors. */
  unusedKeys: string[];
}

export type ValidationResult =
  { ok: true; warnings: string[] } | { ok: false; error: string; warnings: string[] };
