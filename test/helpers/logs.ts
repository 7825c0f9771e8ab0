import { createLogger, type Logger } from '../../src/log.js';
import { registerArtefact } from './leak-scan.js';

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
  registerArtefact('log lines', () => sink.text);
  return {
    logger,
    get text() {
      return sink.text;
    },
  };
}
