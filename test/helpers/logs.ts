import { createLogger, type Logger } from '../../src/log.js';

/** A debug-level pino logger whose output lands in a string, so tests can search the logs for secrets. */
export function captureLogs(): { logger: Logger; readonly text: string } {
  const sink = { text: '' };
  const logger = createLogger(
    { level: 'debug' },
    {
      write(line: string) {
        sink.text += line;
      },
    },
  );
  return {
    logger,
    get text() {
      return sink.text;
    },
  };
}
