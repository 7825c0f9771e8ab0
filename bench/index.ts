import { run as githubPr } from './github-pr.js';

/** Every benchmark, run one after another by `npm run bench`. */
const benchmarks: (() => Promise<void>)[] = [githubPr];

for (const run of benchmarks) await run();
