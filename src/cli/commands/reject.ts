import { parseCommandArgs, type CliCommand } from '../command.js';
import {
  actorFrom,
  prNumberArgument,
  printReply,
  REQUEST_OPTIONS,
  REQUEST_OPTIONS_USAGE,
  requestService,
} from '../request-io.js';

export const rejectCommand: CliCommand = {
  usage: `Usage: tunnelbot reject PR --as USER_ID [--reason TEXT] [--name NAME] [--json]

Rejects the tunnelbot pull request PR (its number), as the Reject button does: closes it, deletes its branch and
the tunnel created for it. Whoever may approve may reject; the requester may always withdraw their own request.

  --reason TEXT  why, written in the pull request
${REQUEST_OPTIONS_USAGE}
`,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs('reject', argv, {
      ...REQUEST_OPTIONS,
      reason: { type: 'string' },
    });
    const prNumber = prNumberArgument('reject', positionals);
    const actor = actorFrom('reject', values);
    const reply = await requestService(io).reject(actor, {
      prNumber,
      ...(values.reason !== undefined && { reason: values.reason }),
    });
    return printReply(reply, io, values.json);
  },
};
