import { parseCommandArgs, type CliCommand } from '../command.js';
import {
  actorFrom,
  prNumberArgument,
  printReply,
  REQUEST_OPTIONS,
  REQUEST_OPTIONS_USAGE,
  requestService,
} from '../request-io.js';

export const approveCommand: CliCommand = {
  usage: `Usage: tunnelbot approve PR --as USER_ID [--sha HEAD_SHA] [--name NAME] [--json]

Approves and merges the tunnelbot pull request PR (its number), as the Approve button does: the policy decides
whether --as may approve in its environment, and with four-eyes on (the default) the requester may not. The
merge is pinned to HEAD_SHA, the head commit you reviewed, so a push after your review is never merged unseen;
without --sha it is pinned to the head read now, and the reply says which.

  --sha HEAD_SHA the head commit you reviewed
${REQUEST_OPTIONS_USAGE}
`,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs('approve', argv, {
      ...REQUEST_OPTIONS,
      sha: { type: 'string' },
    });
    const prNumber = prNumberArgument('approve', positionals);
    const actor = actorFrom('approve', values);
    const reply = await requestService(io).approve(actor, {
      prNumber,
      ...(values.sha !== undefined && { headSha: values.sha }),
    });
    return printReply(reply, io, values.json);
  },
};
