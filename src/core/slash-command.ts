import type { AccessRequest } from './access.js';
import { TunnelbotError } from '../errors.js';
import {
  asciiLowerCase,
  normalizeHostname,
  validateAppName,
  validateNamespace,
  validateEnvironmentName,
  validatePort,
} from './names.js';

/**
 * What a person typed after `/expose` or `/unexpose`, checked for shape only: no settings, no repository, no
 * network. Argument errors are answered in the acknowledgement, before any state is looked up, so a typo costs
 * nothing and leaves nothing behind. Whether the environment exists or the hostname is free is decided later.
 */

/** The slash commands tunnelbot answers (the Slack app manifest declares the same two). */
export const SLASH_COMMANDS = ['/expose', '/unexpose'] as const;

export type SlashCommand =
  | { readonly kind: 'help'; readonly command: (typeof SLASH_COMMANDS)[number] }
  | { readonly kind: 'open-form' }
  | { readonly kind: 'list'; readonly environment?: string }
  | {
      readonly kind: 'expose';
      readonly app: string;
      readonly port: number;
      readonly hostname?: string;
      readonly environment?: string;
      readonly namespace?: string;
      readonly access?: AccessRequest;
    }
  | {
      readonly kind: 'unexpose';
      readonly app: string;
      readonly environment?: string;
      readonly hostname?: string;
    };

export const EXPOSE_USAGE = '/expose APP PORT [host=FQDN] [env=NAME] [ns=NAMESPACE] [access=public]';
export const UNEXPOSE_USAGE = '/unexpose APP [env=NAME] [host=FQDN]';

export const HELP_TEXT = [
  '*tunnelbot* exposes an app of the cluster through a Cloudflare Tunnel, reviewed by a teammate and applied by Flux.',
  `• \`${EXPOSE_USAGE}\`: ask to expose a Service port, e.g. \`/expose linkding 9090\` (default hostname <app>.<domain>)`,
  '• `access=public`: no Cloudflare Access sign-in in front of the app, where the environment allows it',
  '• `/expose`: the same as a form',
  `• \`${UNEXPOSE_USAGE}\`: ask to remove everything an expose added`,
  '• `/expose list [env=NAME]`: what is exposed, with tunnel health, and what waits for approval',
  '• `/expose help`: this text',
  'Every request opens a pull request; a teammate approves it with the Approve & merge button.',
].join('\n');

const OPTION_KEYS = {
  expose: ['host', 'env', 'ns', 'access'],
  unexpose: ['env', 'host'],
  list: ['env'],
} as const;

/** Slack turns typed URLs and hostnames into `<http://x|x>` links even for commands; take the text back. */
function unwrapSlackLinks(text: string): string {
  return text.replace(/<([^<>|]*)\|([^<>]*)>/g, '$2').replace(/<(?:https?:\/\/|mailto:)?([^<>|]*)>/g, '$1');
}

function usageError(message: string, usage: string): TunnelbotError {
  return new TunnelbotError('TB_ERR_USAGE', message, { fix: `Type \`${usage}\`, or \`/expose help\`.` });
}

interface Tokens {
  readonly positional: readonly string[];
  readonly options: ReadonlyMap<string, string>;
}

function tokenize(text: string, allowed: readonly string[], usage: string): Tokens {
  const positional: string[] = [];
  const options = new Map<string, string>();
  for (const token of unwrapSlackLinks(text).trim().split(/\s+/).filter(Boolean)) {
    const eq = token.indexOf('=');
    if (eq === -1) {
      if (options.size > 0)
        throw usageError(`"${token}" comes after the key=value options; put it before them.`, usage);
      positional.push(token);
      continue;
    }
    const key = asciiLowerCase(token.slice(0, eq));
    const value = token.slice(eq + 1);
    if (!allowed.includes(key)) {
      const known = allowed.map((name) => `${name}=`).join(', ');
      throw usageError(`Unknown option "${key}=": this command takes ${known}.`, usage);
    }
    if (value === '') throw usageError(`"${key}=" needs a value, e.g. ${key}=${example(key)}.`, usage);
    if (options.has(key)) throw usageError(`"${key}=" is given twice; give it once.`, usage);
    options.set(key, value);
  }
  return { positional, options };
}

function example(key: string): string {
  return { host: 'app.example.com', env: 'staging', ns: 'apps', access: 'public' }[key] ?? 'value';
}

function environmentName(value: string | undefined): string | undefined {
  return value === undefined ? undefined : validateEnvironmentName(value);
}

/** Parses the text of `/expose` or `/unexpose`; throws TunnelbotError with the usage on malformed input. */
export function parseSlashCommand(command: string, text: string): SlashCommand {
  const words = text.trim().split(/\s+/).filter(Boolean);
  const first = words[0] === undefined ? undefined : asciiLowerCase(words[0]);
  if (command === '/unexpose') {
    if (first === undefined || first === 'help') return { kind: 'help', command: '/unexpose' };
    const { positional, options } = tokenize(text, OPTION_KEYS.unexpose, UNEXPOSE_USAGE);
    if (positional.length !== 1) {
      throw usageError(
        positional.length === 0
          ? 'Say which app to unexpose.'
          : `Expected one app name, got ${positional.length} words (${positional.join(' ')}).`,
        UNEXPOSE_USAGE,
      );
    }
    const host = options.get('host');
    const environment = environmentName(options.get('env'));
    return {
      kind: 'unexpose',
      app: validateAppName(asciiLowerCase(positional[0]!)),
      ...(environment !== undefined && { environment }),
      ...(host !== undefined && { hostname: normalizeHostname(host) }),
    };
  }
  if (command !== '/expose') throw usageError(`${command} is not a tunnelbot command.`, EXPOSE_USAGE);
  if (first === undefined) return { kind: 'open-form' };
  if (first === 'help') return { kind: 'help', command: '/expose' };
  if (first === 'list') {
    const { positional, options } = tokenize(
      words.slice(1).join(' '),
      OPTION_KEYS.list,
      '/expose list [env=NAME]',
    );
    if (positional.length > 0)
      throw usageError(
        `"/expose list" takes only env=NAME, not "${positional.join(' ')}".`,
        '/expose list [env=NAME]',
      );
    const environment = environmentName(options.get('env'));
    return { kind: 'list', ...(environment !== undefined && { environment }) };
  }
  const { positional, options } = tokenize(text, OPTION_KEYS.expose, EXPOSE_USAGE);
  if (positional.length !== 2) {
    throw usageError(
      positional.length < 2
        ? `Say which app and which port, e.g. \`/expose ${positional[0] ?? 'linkding'} 9090\`.`
        : `Expected an app and a port, got ${positional.length} words (${positional.join(' ')}).`,
      EXPOSE_USAGE,
    );
  }
  const host = options.get('host');
  const namespace = options.get('ns');
  const environment = environmentName(options.get('env'));
  const access = accessOption(options.get('access'));
  return {
    kind: 'expose',
    app: validateAppName(asciiLowerCase(positional[0]!)),
    port: validatePort(positional[1]!),
    ...(host !== undefined && { hostname: normalizeHostname(host) }),
    ...(environment !== undefined && { environment }),
    ...(namespace !== undefined && { namespace: validateNamespace(asciiLowerCase(namespace)) }),
    ...(access !== undefined && { access }),
  };
}

/** Protection is the default; the only thing a request may say about it is that it does without. */
function accessOption(value: string | undefined): AccessRequest | undefined {
  if (value === undefined) return undefined;
  if (asciiLowerCase(value) === 'public') return 'public';
  throw usageError(
    `"access=${value}" is not an option: the only value is access=public (an app without Cloudflare Access); leave it out to keep Access.`,
    EXPOSE_USAGE,
  );
}
