import { TunnelbotError } from '../../errors.js';
import { accessOption, parseCommandArgs, type CliCommand } from '../command.js';
import {
  actorFrom,
  printReply,
  REQUEST_OPTIONS,
  REQUEST_OPTIONS_USAGE,
  requestService,
} from '../request-io.js';

export const exposeCommand: CliCommand = {
  usage: `Usage: tunnelbot expose APP PORT --as USER_ID [--host FQDN] [--env NAME] [--namespace NS] [--access public] [--name NAME] [--json]

Asks for APP's Service port PORT to be exposed, as /expose does in Slack: the policy is checked for the person
--as names, the tunnel is created and the pull request opened; it waits there for someone else's
\`tunnelbot approve\` (or the Approve button). Prints the pull request.

  --host FQDN    the public hostname (default: APP.<the environment's domain>)
  --env NAME     the environment (default: the only one configured)
  --namespace NS the app's namespace (default: the one its Service is found in)
  --access public no Cloudflare Access sign-in in front of the app, where the environment allows it (its
                 access.mode is optional)
${REQUEST_OPTIONS_USAGE}
`,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs('expose', argv, {
      ...REQUEST_OPTIONS,
      host: { type: 'string' },
      env: { type: 'string' },
      namespace: { type: 'string' },
      access: { type: 'string' },
    });
    const access = accessOption('expose', values.access);
    const [app, port, ...extra] = positionals;
    if (app === undefined || port === undefined || extra.length > 0) {
      throw new TunnelbotError('TB_ERR_USAGE', 'expected two arguments, the app and its port.', {
        fix: 'Run `tunnelbot expose linkding 9090 --as U012AB3CD`.',
      });
    }
    const actor = actorFrom('expose', values);
    const reply = await requestService(io).expose(actor, {
      app,
      port,
      ...(values.host !== undefined && { hostname: values.host }),
      ...(values.env !== undefined && { environment: values.env }),
      ...(values.namespace !== undefined && { namespace: values.namespace }),
      ...(access && { access }),
    });
    return printReply(reply, io, values.json);
  },
};
