/**
 * The one logger: pino JSON to stdout (journald keeps it as is). Secrets are redacted
 * by path so that a stray `logger.info({config})` can never leak key material.
 */
import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger } from 'pino';

export const REDACTED_PATHS = [
  'password',
  'passphrase',
  'privateKey',
  'token',
  'authorization',
  '*.password',
  '*.passphrase',
  '*.privateKey',
  '*.token',
  '*.authorization',
  'headers.authorization',
  'req.headers.authorization',
];

export function createLogger(level: LevelWithSilent = 'info', destination?: NodeJS.WritableStream): Logger {
  const envLevel = process.env['DRIFTD_LOG_LEVEL'] as LevelWithSilent | undefined;
  const options = {
    level: envLevel ?? level,
    base: { service: 'driftd' },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return destination ? pino(options, destination as pino.DestinationStream) : pino(options);
}
