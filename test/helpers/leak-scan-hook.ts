// Loaded into every test process by scripts/run-tests.mjs (`--import`): the leak scan of test/helpers/leak-scan.ts
// watches the stand-ins from the start and, once the file's tests are done, fails the file naming every leak.
import { after } from 'node:test';
import { findLeaks, watchForLeaks } from './leak-scan.js';

watchForLeaks();

after(() => {
  const leaks = findLeaks();
  if (leaks.length > 0) {
    throw new Error(`leak scan: a secret left the service (${leaks.length}):\n- ${leaks.join('\n- ')}`);
  }
});
