// `node --import ./test/helpers/record-modules.mjs`: appends the URL of every module the process loads to the
// file RECORD_MODULES names, so a test can check what a command's start-up pulled in. The loader hooks see what is
// imported; what CommonJS packages require() of each other (Bolt's receivers, say) is not imported, so the
// CommonJS module cache is appended too when the process exits.
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
import { pathToFileURL } from 'node:url';

const file = process.env.RECORD_MODULES;
register('./record-modules-hooks.mjs', import.meta.url, { data: { file } });
if (file) {
  const { cache } = createRequire(import.meta.url);
  process.on('exit', () => {
    appendFileSync(
      file,
      Object.keys(cache)
        .map((path) => `${pathToFileURL(path).href}\n`)
        .join(''),
    );
  });
}
