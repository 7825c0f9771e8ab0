import { TunnelbotError } from '../../errors.js';
import { findMatchingRule } from '../../gitops/cloudflared/index.js';
import { parseCommandArgs, type CliCommand } from '../command.js';
import { loadValidConfig } from './validate.js';

export const ruleCommand: CliCommand = {
  usage: `Usage: tunnelbot rule FILE URL

FILE may be a ConfigMap manifest holding the config, as for \`tunnelbot validate\`.
Prints "Matched rule #<i>" (0-based), the rule cloudflared would pick for URL, like
\`cloudflared tunnel ingress rule URL\`. The config must be valid; the URL needs a
hostname or a scheme (e.g. https://app.example.com/path).
`,
  async run(argv, io) {
    const { positionals } = parseCommandArgs('rule', argv, {});
    const [file, url, ...extra] = positionals;
    if (file === undefined || url === undefined || extra.length > 0) {
      throw new TunnelbotError('TB_ERR_USAGE', 'expected two arguments, the config file and a URL', {
        fix: 'Run `tunnelbot rule path/to/config.yaml https://app.example.com/`.',
      });
    }
    const config = await loadValidConfig(file, io);
    io.stdout(`Matched rule #${findMatchingRule(config, url)}\n`);
    return 0;
  },
};
