import type { IncomingMessage } from 'node:http';
import type { RawData } from 'ws';
import { checkBlockKit } from './block-kit.js';
import type { MessageMetadata } from './types.js';

/** Web API requests as Slack decodes them, and its answers to content it refuses. */

const TEXT_MAX = 40_000;
const METADATA_EVENT_TYPE = /^[A-Za-z0-9_-]+$/;
const JSON_ARGS: Readonly<Record<string, string>> = {
  blocks: 'invalid_blocks',
  attachments: 'invalid_attachments',
  metadata: 'invalid_metadata_format',
  view: 'invalid_arguments',
};

export interface RefusedContent {
  ok: false;
  error: string;
  errors?: string[];
  response_metadata?: { messages: string[] };
}

export type ParsedArgs = { ok: true; args: Record<string, unknown> } | { ok: false; error: string };

export function parseArgs(contentType: string, raw: string): ParsedArgs {
  let args: Record<string, unknown>;
  if (contentType.startsWith('application/json')) {
    try {
      const parsed: unknown = raw === '' ? {} : JSON.parse(raw);
      if (!isRecord(parsed)) return { ok: false, error: 'invalid_json' };
      args = parsed;
    } catch {
      return { ok: false, error: 'invalid_json' };
    }
  } else {
    args = Object.fromEntries(new URLSearchParams(raw));
  }
  // The web-api client sends these as JSON strings inside a form; Slack decodes them before use.
  for (const [key, error] of Object.entries(JSON_ARGS)) {
    const value = args[key];
    if (typeof value !== 'string') continue;
    try {
      args[key] = JSON.parse(value);
    } catch {
      return { ok: false, error };
    }
  }
  return { ok: true, args };
}

/** Slack's answer to content it refuses: Block Kit limits, then the 40,000-character `text` limit. */
export function contentError(args: Record<string, unknown>): RefusedContent | undefined {
  if (args.blocks !== undefined) {
    const errors = checkBlockKit(args.blocks, 'message');
    if (errors.length > 0) {
      return {
        ok: false,
        error: 'invalid_blocks',
        errors,
        response_metadata: { messages: errors.map((error) => `[ERROR] ${error}`) },
      };
    }
  }
  if (typeof args.text === 'string' && args.text.length > TEXT_MAX)
    return { ok: false, error: 'msg_too_long' };
  return undefined;
}

export function readMetadata(args: Record<string, unknown>): {
  metadata?: MessageMetadata;
  warning?: string;
} {
  const metadata = args.metadata;
  if (metadata === undefined) return {};
  if (
    !isRecord(metadata) ||
    typeof metadata.event_type !== 'string' ||
    !METADATA_EVENT_TYPE.test(metadata.event_type)
  ) {
    // Slack drops metadata it cannot accept but still posts the message, with a warning.
    return { warning: 'invalid_metadata_schema' };
  }
  return { metadata: { event_type: metadata.event_type, event_payload: metadata.event_payload } };
}

export function withWarning<T extends object>(body: T, warning: string | undefined): T {
  if (!warning) return body;
  return { ...body, warning, response_metadata: { warnings: [warning] } };
}

export function bearerToken(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  const match = header === undefined ? null : /^Bearer (.+)$/.exec(header);
  return match?.[1];
}

export function withoutToken(args: Record<string, unknown>): Record<string, unknown> {
  const { token: _token, ...rest } = args;
  return rest;
}

export function stringArg(args: Record<string, unknown>, key: string): string | undefined {
  const value = args[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

export function arrayArg(args: Record<string, unknown>, key: string): unknown[] | undefined {
  const value = args[key];
  return Array.isArray(value) && value.length > 0 ? value : undefined;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function rawDataToString(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
