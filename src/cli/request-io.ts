import { createContext, createRequestService } from '../main.js';
import type { Actor, Reply, RequestService } from '../requests/service.js';
import { TunnelbotError } from '../errors.js';
import type { CliIo } from './command.js';
import { commandLogger, loadServiceConfig } from './service-io.js';

/**
 * The request commands are a transport of the RequestService, like Slack: they parse, call one method and print
 * the reply. Whoever runs them holds the GitHub and Cloudflare tokens already, so `--as` is trusted as given: it
 * names the person the policy judges, it does not prove who they are.
 */

/** The options every request command takes. */
export const REQUEST_OPTIONS = {
  as: { type: 'string' },
  name: { type: 'string' },
  json: { type: 'boolean', default: false },
} as const;

export const REQUEST_OPTIONS_USAGE = `  --as USER_ID   the person acting, by the Slack member id the settings' policy names (required; trusted:
                 the command line is for operators who hold the tokens anyway)
  --name NAME    the name shown in the pull request (default: the USER_ID)
  --json         print the reply as JSON ({ok, text, pr, error}) instead of its text

Reads the same environment as \`tunnelbot serve\` (GitHub and Cloudflare credentials, TUNNELBOT_SETTINGS).
Exits 0 when the request went through, 1 when it was refused or failed (the reason on stderr).`;

export function actorFrom(command: string, values: { as?: string; name?: string }): Actor {
  if (values.as === undefined || values.as === '') {
    throw new TunnelbotError('TB_ERR_USAGE', 'needs --as USER_ID, the person acting.', {
      fix: `Run \`tunnelbot ${command} ... --as U012AB3CD\` with your Slack member id (profile > ⋮ > Copy member ID), as the settings' policy lists it.`,
    });
  }
  return { id: values.as, name: values.name ?? values.as };
}

/** The configured request service: the same settings, GitHub and Cloudflare as `serve`, no conversation. */
export function requestService(io: CliIo): RequestService {
  const config = loadServiceConfig(io, { slack: false, github: true, cloudflare: true });
  return createRequestService(config, createContext(config, commandLogger(io, config)));
}

/** Prints a reply: its text (stdout when it went through, stderr otherwise) or, with --json, the reply itself. */
export function printReply(reply: Reply, io: CliIo, json: boolean): number {
  if (json) {
    const { error } = reply;
    io.stdout(
      `${JSON.stringify({
        ok: reply.ok,
        text: reply.text,
        ...(reply.pr && { pr: reply.pr }),
        ...(error && {
          error: { code: error.code, kind: error.kind, message: error.message, fix: error.fix },
        }),
      })}\n`,
    );
  } else if (reply.text !== '') {
    (reply.ok ? io.stdout : io.stderr)(`${reply.text}\n`);
  }
  return reply.ok ? 0 : 1;
}

/** The one positional argument of approve and reject: a pull request number. */
export function prNumberArgument(command: string, positionals: readonly string[]): number {
  const [pr, ...extra] = positionals;
  const number = pr === undefined ? NaN : Number(pr.replace(/^#/, ''));
  if (extra.length > 0 || !Number.isSafeInteger(number) || number < 1) {
    throw new TunnelbotError(
      'TB_ERR_USAGE',
      pr === undefined || extra.length > 0
        ? 'expected one argument, the pull request number.'
        : `"${pr}" is not a pull request number.`,
      { fix: `Run \`tunnelbot ${command} 12 --as U012AB3CD\`; \`tunnelbot list\` shows the open requests.` },
    );
  }
  return number;
}
