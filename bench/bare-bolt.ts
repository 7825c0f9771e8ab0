import { App, type Logger, type Receiver } from '@slack/bolt';
import { SLACK_BOT_TOKEN } from '../test/helpers/slack.js';

/** A Bolt logger that says nothing: the bare Bolt apps the benchmarks compare against log nothing either. */
export const quietBoltLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  setLevel() {},
  getLevel: () => 'error' as never,
  setName() {},
};

/**
 * Bolt with `receiver` and one listener that acks `/expose` at once, nothing else, as lean as Bolt can be set up
 * (no conversation store, no ignoreSelf step, as tunnelbot sets it up): the floor any Bolt app stands on, which the
 * benchmarks measure beside tunnelbot.
 */
export function bareBoltApp(receiver: Receiver, clientOptions?: { slackApiUrl: string }): App {
  const app = new App({
    token: SLACK_BOT_TOKEN,
    receiver,
    botId: 'B0FAKE0001',
    botUserId: 'U0FAKEBOT1',
    logger: quietBoltLogger,
    convoStore: false,
    ignoreSelf: false,
    ...(clientOptions && { clientOptions }),
  });
  app.command('/expose', async ({ ack }) => {
    await ack('ok');
  });
  return app;
}
