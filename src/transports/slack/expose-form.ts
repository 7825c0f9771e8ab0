import type { types } from '@slack/bolt';
import { z } from 'zod';
import {
  asciiLowerCase,
  normalizeHostname,
  validateAppName,
  validateEnvironmentName,
  validateNamespace,
  validatePort,
} from '../../core/names.js';
import { isTunnelbotError } from '../../errors.js';
import type { ExposeCommand } from '../../requests/service.js';
import { EXPOSE_FORM_CALLBACK } from './blocks.js';

/**
 * `/expose` with no arguments: the same fields as the command, as a modal. The submission is checked with the
 * command's own rules (one definition each, in core/names.ts) and errors are shown inline next to their field
 * (`response_action: errors`); the channel the command was typed in travels in `private_metadata`.
 */

const BLOCKS = { app: 'app', port: 'port', env: 'env', host: 'host', ns: 'ns', access: 'access' } as const;
const ACTION = 'value';
/** The checkbox's value; ticked, the request asks for access=public (the request service decides if allowed). */
const PUBLIC_OPTION = 'public';

export interface ExposeFormInput {
  readonly channel: string;
  readonly environments: readonly string[];
  readonly defaultEnvironment: string;
}

function textInput(blockId: string, label: string, placeholder: string, optional = false): types.KnownBlock {
  return {
    type: 'input',
    block_id: blockId,
    optional,
    label: { type: 'plain_text', text: label },
    element: {
      type: 'plain_text_input',
      action_id: ACTION,
      placeholder: { type: 'plain_text', text: placeholder },
    },
  };
}

export function exposeForm(input: ExposeFormInput): types.ModalView {
  const option = (name: string) => ({ text: { type: 'plain_text' as const, text: name }, value: name });
  const blocks: types.KnownBlock[] = [
    textInput(BLOCKS.app, 'App', 'linkding'),
    textInput(BLOCKS.port, 'Service port', '9090'),
  ];
  if (input.environments.length > 0) {
    blocks.push({
      type: 'input',
      block_id: BLOCKS.env,
      label: { type: 'plain_text', text: 'Environment' },
      element: {
        type: 'static_select',
        action_id: ACTION,
        options: input.environments.slice(0, 100).map(option),
        initial_option: option(input.defaultEnvironment),
      },
    });
  }
  blocks.push(
    textInput(BLOCKS.host, 'Hostname', 'default: <app>.<the environment domain>', true),
    textInput(BLOCKS.ns, 'Namespace', 'default: found from the Service', true),
    {
      type: 'input',
      block_id: BLOCKS.access,
      optional: true,
      label: { type: 'plain_text', text: 'Cloudflare Access' },
      hint: {
        type: 'plain_text',
        text: 'Only where the environment makes Access optional. PUBLIC: anyone on the internet reaches this app.',
      },
      element: {
        type: 'checkboxes',
        action_id: ACTION,
        options: [{ text: { type: 'plain_text', text: 'public (no Access)' }, value: PUBLIC_OPTION }],
      },
    },
  );
  return {
    type: 'modal',
    callback_id: EXPOSE_FORM_CALLBACK,
    private_metadata: JSON.stringify({ channel: input.channel }),
    title: { type: 'plain_text', text: 'Expose an app' },
    submit: { type: 'plain_text', text: 'Request' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks,
  };
}

const FieldValue = z.object({
  value: z.string().nullish(),
  selected_option: z.object({ value: z.string() }).nullish(),
  selected_options: z.array(z.object({ value: z.string() })).nullish(),
});
const FormValues = z.record(z.string(), z.record(z.string(), FieldValue));
const PrivateMetadata = z.object({ channel: z.string().min(1) });

export type ExposeFormResult =
  | { readonly ok: true; readonly channel: string; readonly command: ExposeCommand }
  | { readonly ok: false; readonly errors: Record<string, string> };

function field(values: z.infer<typeof FormValues>, block: string): string | undefined {
  const entry = values[block]?.[ACTION];
  const value = entry?.selected_option?.value ?? entry?.value ?? undefined;
  const trimmed = value?.trim();
  return trimmed === '' ? undefined : trimmed;
}

/** Reads a view_submission of the form; every field error at once, each next to its field. */
export function readExposeForm(view: {
  state?: { values?: unknown } | null;
  private_metadata?: string;
}): ExposeFormResult {
  // A hand-made payload may lack what Slack always sends: the form is then out of date, never a TypeError.
  const values = FormValues.safeParse(view.state?.values);
  let metadata: z.infer<typeof PrivateMetadata> | undefined;
  try {
    metadata = PrivateMetadata.parse(JSON.parse(view.private_metadata ?? ''));
  } catch {
    metadata = undefined;
  }
  if (!values.success || !metadata) {
    return {
      ok: false,
      errors: { [BLOCKS.app]: 'This form is out of date; close it and type /expose again.' },
    };
  }
  const errors: Record<string, string> = {};
  const check = <T>(block: string, read: () => T): T | undefined => {
    try {
      return read();
    } catch (error) {
      errors[block] = isTunnelbotError(error) ? error.message : String(error);
      return undefined;
    }
  };
  const app = check(BLOCKS.app, () => validateAppName(asciiLowerCase(field(values.data, BLOCKS.app) ?? '')));
  const port = check(BLOCKS.port, () => validatePort(field(values.data, BLOCKS.port) ?? ''));
  const host = field(values.data, BLOCKS.host);
  const hostname = host === undefined ? undefined : check(BLOCKS.host, () => normalizeHostname(host));
  const ns = field(values.data, BLOCKS.ns);
  const namespace =
    ns === undefined ? undefined : check(BLOCKS.ns, () => validateNamespace(asciiLowerCase(ns)));
  const env = field(values.data, BLOCKS.env);
  const environment = env === undefined ? undefined : check(BLOCKS.env, () => validateEnvironmentName(env));
  const ticked = values.data[BLOCKS.access]?.[ACTION]?.selected_options ?? [];
  const askedPublic = ticked.some((option) => option.value === PUBLIC_OPTION);
  if (Object.keys(errors).length > 0 || app === undefined || port === undefined) return { ok: false, errors };
  return {
    ok: true,
    channel: metadata.channel,
    command: {
      app,
      port,
      ...(hostname !== undefined && { hostname }),
      ...(environment !== undefined && { environment }),
      ...(namespace !== undefined && { namespace }),
      ...(askedPublic && { access: 'public' as const }),
    },
  };
}
