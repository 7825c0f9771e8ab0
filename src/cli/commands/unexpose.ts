import { TunnelbotError } from '../../errors.js';
import { parseCommandArgs, type CliCommand } from '../command.js';
import {
  actorFrom,
  printReply,
  REQUEST_OPTIONS,
  REQUEST_OPTIONS_USAGE,
  requestService,
} from '../request-io.js';

export const unexposeCommand: CliCommand = {
  usage: `Usage: tunnelbot unexpose APP --as USER_ID [--env NAME] [--host FQDN] [--name NAME] [--json]

Asks for APP's tunnel to be removed, as /unexpose does in Slack: opens the pull request that deletes its files.
Cloudflare is untouched until someone approves it (\`tunnelbot approve\`).

  --env NAME     the environment (default: the only one configured)
  --host FQDN    the hostname to remove, when APP has several
${REQUEST_OPTIONS_USAGE}
`,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs('unexpose', argv, {
      ...REQUEST_OPTIONS,
      env: { type: 'string' },
      host: { type: 'string' },
    });
    const [app, ...extra] = positionals;
    if (app === undefined || extra.length > 0) {
      throw new TunnelbotError('TB_ERR_USAGE', 'expected one argument, the app.', {
        fix: 'Run `tunnelbot unexpose linkding --as U012AB3CD`.',
      });
    }
    const actor = actorFrom('unexpose', values);
    const reply = await requestService(io).unexpose(actor, {
      app,
      ...(values.env !== undefined && { environment: values.env }),
      ...(values.host !== undefined && { hostname: values.host }),
    });
    return printReply(reply, io, values.json);
  },
};
