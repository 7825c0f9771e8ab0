/**
 * The parts of Bolt that tunnelbot runs, each from its own module. Bolt's entry point (`@slack/bolt`) also loads its
 * Express and AWS Lambda receivers, Express and its middleware with them, none of which tunnelbot uses: about 2 MiB
 * of serve's idle memory (`npm run bench`, serve-startup). Bolt's package has no export map, so Node resolves these
 * paths as it does the entry point; test/transports/slack/bolt.test.ts checks that they are the very objects
 * `@slack/bolt` exports, so an upgrade that moves them fails there and not in production. Types still come from
 * `@slack/bolt` (`import type` loads nothing).
 */
import type * as Bolt from '@slack/bolt';
import AppModule from '@slack/bolt/dist/App.js';
import SocketModeModule from '@slack/bolt/dist/receivers/SocketModeReceiver.js';

export { ReceiverMultipleAckError } from '@slack/bolt/dist/errors.js';
export { verifySlackRequest } from '@slack/bolt/dist/receivers/verify-request.js';

export const App = AppModule.default;
export type App = Bolt.App;
export const LogLevel = AppModule.LogLevel;
export type LogLevel = Bolt.LogLevel;
export const SocketModeReceiver = SocketModeModule.default;
export type SocketModeReceiver = Bolt.SocketModeReceiver;
