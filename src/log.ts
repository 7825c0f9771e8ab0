import { pino, type Logger, type LoggerOptions } from 'pino';

/**
 * Paths pino censors wherever they appear in a log object. Secrets must never reach logs; this is the last line of
 * defence, not the first: code should not log secret-bearing objects at all.
 */
export const REDACTED_PATHS = [
  'token',
  '*.token',
  'secret',
  '*.secret',
  'tunnelSecret',
  '*.tunnelSecret',
  'TunnelSecret',
  '*.TunnelSecret',
  'credentials',
  '*.credentials',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'req.headers.authorization',
  'req.headers["x-hub-signature-256"]',
  'req.headers["x-signature"]',
  'req.headers["x-slack-signature"]',
  'privateKey',
  '*.privateKey',
  'identity',
  '*.identity',
  'dataKey',
  '*.dataKey',
];

export function createLogger(options: LoggerOptions = {}, destination?: pino.DestinationStream): Logger {
  const base: LoggerOptions = {
    level: process.env['LOG_LEVEL'] ?? 'info',
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    ...options,
  };
  return destination ? pino(base, destination) : pino(base);
}

export type { Logger };
