// `node --import ./test/helpers/record-modules.mjs`: appends the URL of every module the process loads to the
// file RECORD_MODULES names, so a test can check what a command's start-up pulled in.
import { register } from 'node:module';

register('./record-modules-hooks.mjs', import.meta.url, { data: { file: process.env.RECORD_MODULES } });
