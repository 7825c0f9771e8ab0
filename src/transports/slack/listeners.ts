import type { AnyMiddlewareArgs, App, BlockAction, ButtonAction, RespondFn } from '@slack/bolt';
import { z } from 'zod';
import { BoundedSet } from '../../core/bounded-set.js';
import { HELP_TEXT, parseSlashCommand, SLASH_COMMANDS, type SlashCommand } from '../../core/slash-command.js';
import { asTunnelbotError } from '../../errors.js';
import type { Logger } from '../../log.js';
import { errorText, type Actor, type Reply, type RequestService } from '../../requests/service.js';
import type { MessageRef } from '../../requests/conversation.js';
import { ACTION_IDS, EXPOSE_FORM_CALLBACK, renderListing } from './blocks.js';
import { exposeForm, readExposeForm } from './expose-form.js';
import { callSlack } from './web-api-errors.js';

/**
 * What Slack sends, turned into one call of the request service each: ack at once (help and argument errors are
 * the ack itself), then the work, then what the person should read, told to them alone. Nothing here decides:
 * policy, state and every message of a request belong to the service.
 */

export interface ListenerDeps {
  readonly requests: RequestService;
  readonly logger: Logger;
}

/** Slack redelivers a Socket Mode envelope it saw no ack for; a trigger id is unique per user action. */
const SEEN_LIMIT = 10_000;

/**
 * Bolt runs the matchers of every listener for every payload, each call copying the listener arguments: one
 * listener per kind of payload (commands, buttons, the form) keeps that to three chains instead of six. A listener
 * for several names matches a pattern of exactly those names.
 */
function oneOf(names: readonly string[]): RegExp {
  return new RegExp(`^(?:${names.map((name) => name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})$`);
}

const ApproveValue = z.strictObject({
  pr: z.number().int().positive(),
  sha: z.string().regex(/^[0-9a-f]{40}$/),
});
const RejectValue = z.strictObject({ pr: z.number().int().positive() });
/** Slack's limit on a button value: anything longer was not sent by a button at all. */
const MAX_BUTTON_VALUE = 2000;

function parseValue<T>(schema: z.ZodType<T>, value: string | undefined): T | undefined {
  if (value === undefined || value.length > MAX_BUTTON_VALUE) return undefined;
  try {
    const parsed = schema.safeParse(JSON.parse(value));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Ephemeral text to the person who acted; a response_url that expired is logged, never thrown at Bolt. */
async function tellBack(respond: RespondFn, text: string, log: Logger): Promise<void> {
  if (text === '') return;
  try {
    await respond({ response_type: 'ephemeral', replace_original: false, text });
  } catch (error) {
    log.warn({ err: asTunnelbotError(error) }, 'could not answer through the response_url');
  }
}

const yieldToAcks = () => new Promise<void>((resolve) => setImmediate(resolve));

function dedupeKey(args: AnyMiddlewareArgs): string | undefined {
  const body = args.body as { trigger_id?: unknown; event_id?: unknown; type?: unknown };
  if (typeof body.event_id === 'string') return `event:${body.event_id}`;
  if (typeof body.trigger_id === 'string') return `trigger:${body.trigger_id}`;
  return undefined;
}

export function registerListeners(app: App, deps: ListenerDeps): void {
  const { requests } = deps;
  const log = deps.logger.child({ component: 'slack' });
  const seen = new BoundedSet(SEEN_LIMIT);

  // A redelivered envelope is acked again (Slack wants an ack) and goes no further.
  app.use(async (args) => {
    const key = dedupeKey(args);
    if (key === undefined || seen.add(key)) {
      await args.next();
      return;
    }
    log.info({ key }, 'duplicate Slack delivery ignored');
    if ('ack' in args && typeof args.ack === 'function') await (args.ack as () => Promise<void>)();
  });

  const runCommand = async (
    parsed: SlashCommand,
    actor: Actor,
    channel: string,
    respond: RespondFn,
    openForm: () => Promise<void>,
  ): Promise<void> => {
    let reply: Reply | undefined;
    switch (parsed.kind) {
      case 'help':
        return;
      case 'open-form':
        await openForm();
        return;
      case 'list': {
        try {
          const environments = parsed.environment ? [parsed.environment] : requests.environments();
          const listing = await requests.list(parsed.environment ? { environment: parsed.environment } : {});
          const message = renderListing(listing, environments);
          await respond({ response_type: 'ephemeral', ...message });
        } catch (error) {
          await tellBack(respond, errorText(asTunnelbotError(error)), log);
        }
        return;
      }
      case 'expose': {
        const { kind: _kind, ...command } = parsed;
        reply = await requests.expose(actor, command, { channel });
        break;
      }
      case 'unexpose': {
        const { kind: _kind, ...command } = parsed;
        reply = await requests.unexpose(actor, command, { channel });
        break;
      }
    }
    await tellBack(respond, reply.text, log);
  };

  app.command(oneOf(SLASH_COMMANDS), async ({ command, ack, respond, client }) => {
    let parsed: SlashCommand;
    try {
      parsed = parseSlashCommand(command.command, command.text);
    } catch (error) {
      // Argument errors cost nothing: they are the ack, before any state is looked up.
      await ack({ response_type: 'ephemeral', text: errorText(asTunnelbotError(error)) });
      return;
    }
    if (parsed.kind === 'help') {
      await ack({ response_type: 'ephemeral', text: HELP_TEXT });
      return;
    }
    await ack();
    // Let the other commands of this burst be acked before this one's work takes the event loop.
    await yieldToAcks();
    const actor = { id: command.user_id, name: command.user_name };
    const openForm = async () => {
      try {
        const environments = requests.environments();
        await callSlack('views.open', () =>
          client.views.open({
            trigger_id: command.trigger_id,
            view: exposeForm({
              channel: command.channel_id,
              environments,
              defaultEnvironment: environments[0] ?? '',
            }),
          }),
        );
      } catch (error) {
        await tellBack(respond, errorText(asTunnelbotError(error)), log);
      }
    };
    await runCommand(parsed, actor, command.channel_id, respond, openForm);
  });

  app.view(EXPOSE_FORM_CALLBACK, async ({ ack, view, body, client }) => {
    const form = readExposeForm(view);
    if (!form.ok) {
      await ack({ response_action: 'errors', errors: form.errors });
      return;
    }
    // Slack always says who submitted; a payload that does not is refused like a stale form, not thrown at Bolt.
    const user = (body as { user?: { id?: unknown; name?: unknown } | null }).user;
    if (typeof user?.id !== 'string' || user.id === '') {
      await ack({
        response_action: 'errors',
        errors: { app: 'Slack did not say who submitted this form; close it and type /expose again.' },
      });
      return;
    }
    await ack();
    const actor = { id: user.id, name: typeof user.name === 'string' ? user.name : user.id };
    const reply = await requests.expose(actor, form.command, { channel: form.channel });
    if (reply.text === '') return;
    try {
      await callSlack('chat.postEphemeral', () =>
        client.chat.postEphemeral({ channel: form.channel, user: actor.id, text: reply.text }),
      );
    } catch (error) {
      log.warn({ err: asTunnelbotError(error) }, 'could not tell the requester the outcome of the form');
    }
  });

  /** A request button: its value parsed (a hand-edited one changes nothing), then one service call. */
  const decision =
    <T>(
      schema: z.ZodType<T>,
      decide: (actor: Actor, value: T, shownOn: MessageRef | undefined) => Promise<Reply>,
    ) =>
    async (body: BlockAction, action: ButtonAction): Promise<string> => {
      const value = onTheMessage(body, action) ? parseValue(schema, action.value) : undefined;
      if (!value) return 'This button is not one tunnelbot made; use the buttons on the request message.';
      return (await decide(actorOf(body), value, shownOn(body))).text;
    };
  /** What each of tunnelbot's buttons does; the text is told to the person who clicked. */
  const buttons: Record<string, (body: BlockAction, action: ButtonAction) => Promise<string>> = {
    [ACTION_IDS.approve]: decision(ApproveValue, (actor, value, on) =>
      requests.approve(actor, { prNumber: value.pr, headSha: value.sha, ...(on && { shownOn: on }) }),
    ),
    [ACTION_IDS.reject]: decision(RejectValue, (actor, value, on) =>
      requests.reject(actor, { prNumber: value.pr, ...(on && { shownOn: on }) }),
    ),
    // A link button still sends an action, which Slack wants acked; the link does the rest.
    [ACTION_IDS.viewPr]: async () => '',
  };
  app.action<BlockAction<ButtonAction>>(
    oneOf(Object.keys(buttons)),
    async ({ ack, action, body, respond }) => {
      await ack();
      await tellBack(respond, await buttons[action.action_id]!(body, action), log);
    },
  );

  app.error(async (error) => {
    log.error({ err: asTunnelbotError(error.original ?? error) }, 'a Slack listener failed');
  });
}

/**
 * Whether the clicked value is the value of that button on the message as Slack shows it (a click on a message
 * carries the message): a value edited by hand is not. A payload without the message is left to the other checks.
 */
function onTheMessage(body: BlockAction, action: ButtonAction): boolean {
  const blocks = (body.message as { blocks?: unknown } | undefined)?.blocks;
  if (!Array.isArray(blocks)) return true;
  return blocks.some((block: { elements?: unknown; accessory?: unknown }) =>
    [...(Array.isArray(block.elements) ? block.elements : []), block.accessory].some(
      (element: { action_id?: unknown; value?: unknown } | undefined) =>
        element?.action_id === action.action_id && element.value === action.value,
    ),
  );
}

/** The message a clicked button sat on, as Slack's payload names it. */
function shownOn(body: BlockAction): MessageRef | undefined {
  const container = body.container as { message_ts?: unknown; channel_id?: unknown } | undefined;
  const ts = container?.message_ts;
  const channel = container?.channel_id ?? body.channel?.id;
  return typeof ts === 'string' && typeof channel === 'string' ? { channel, ts } : undefined;
}

function actorOf(body: BlockAction): Actor {
  return { id: body.user.id, name: body.user.name ?? body.user.username };
}
