// The floor of serve's idle memory in Socket Mode: Bolt with its own SocketModeReceiver and one listener that acks,
// connected to the Slack fake, nothing else. Plain JavaScript run by node alone (no tsx, whose loader thread would
// add an isolate), as serve runs from dist/. Argv: Slack API URL, bot token, app token.
import { App, SocketModeReceiver } from '@slack/bolt';

const [apiUrl, botToken, appToken] = process.argv.slice(2);
const clientOptions = { slackApiUrl: apiUrl };
const app = new App({
  token: botToken,
  receiver: new SocketModeReceiver({ appToken, installerOptions: { clientOptions } }),
  clientOptions,
});
app.command('/expose', async ({ ack }) => {
  await ack('ok');
});
await app.start();
process.on('SIGTERM', () => void app.stop().finally(() => process.exit(0)));
