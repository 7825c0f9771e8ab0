/** A Dockerfile read as docker reads it, for the release test and the benchmark that measures the image's serve. */

export interface Stage {
  readonly from: string;
  readonly name: string | undefined;
  readonly instructions: readonly string[];
}

/** Dockerfile instructions per stage; continuation lines joined, comments and parser directives dropped. */
export function dockerfileStages(text: string): Stage[] {
  const instructions = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const result: { from: string; name: string | undefined; instructions: string[] }[] = [];
  for (const instruction of instructions) {
    const from = /^FROM\s+(\S+)(?:\s+AS\s+(\S+))?$/i.exec(instruction);
    if (from) result.push({ from: from[1]!, name: from[2], instructions: [] });
    else result.at(-1)!.instructions.push(instruction);
  }
  return result;
}

/** The variables a stage's `ENV K=V ...` instructions set (unquoted values, which is all this Dockerfile uses). */
export function stageEnvironment(stage: Stage): Record<string, string> {
  const environment: Record<string, string> = {};
  for (const instruction of stage.instructions) {
    if (!/^ENV\s/i.test(instruction)) continue;
    for (const pair of instruction.slice(4).trim().split(/\s+/)) {
      const at = pair.indexOf('=');
      if (at > 0) environment[pair.slice(0, at)] = pair.slice(at + 1);
    }
  }
  return environment;
}
