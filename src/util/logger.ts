/**
 * The one logger: pino JSON to stdout. Secrets are redacted by path so that a stray
 * `logger.info({config})` can never leak key material.
 *
 * Under systemd, when stdout is the journal (JOURNAL_STREAM names stdout's device and
 * inode, sd-daemon(3)), each line starts with the sd-daemon `<N>` priority prefix that
 * journald strips and stores as PRIORITY, so `journalctl -u driftd -p warning` shows
 * warnings and worse only. Anywhere else the lines stay plain JSON.
 */
import { fstatSync } from 'node:fs';
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

/** pino level -> syslog priority (sd-daemon.h: SD_ERR 3, SD_WARNING 4, SD_INFO 6, SD_DEBUG 7). */
export function journalPriority(pinoLevel: number): number {
  if (pinoLevel >= 60) return 2; // fatal -> crit
  if (pinoLevel >= 50) return 3; // error -> err
  if (pinoLevel >= 40) return 4; // warn -> warning
  if (pinoLevel >= 30) return 6; // info -> info
  return 7; // debug, trace -> debug
}

/** Each JSON line prefixed with `<N>` for journald; lines without a level pass as info. */
export function journalLine(line: string): string {
  const m = /"level":(\d+)/.exec(line);
  return `<${journalPriority(m ? Number(m[1]) : 30)}>${line}`;
}

/** True when stdout is the journal stream systemd connected (JOURNAL_STREAM = `dev:ino` of stdout). */
export function stdoutIsJournal(env: NodeJS.ProcessEnv = process.env, fd = 1): boolean {
  const stream = env['JOURNAL_STREAM'];
  if (!stream) return false;
  try {
    const st = fstatSync(fd);
    return stream === `${st.dev}:${st.ino}`;
  } catch {
    return false;
  }
}

function journalDestination(out: NodeJS.WritableStream): pino.DestinationStream {
  return {
    write(chunk: string): void {
      const text = chunk.endsWith('\n') ? chunk.slice(0, -1) : chunk;
      out.write(`${text.split('\n').map(journalLine).join('\n')}\n`);
    },
  };
}

export interface LoggerOptions {
  /** Prefix each line with its journald priority; by default when stdout is the journal. */
  journal?: boolean;
}

export function createLogger(level: LevelWithSilent = 'info', destination?: NodeJS.WritableStream, opts: LoggerOptions = {}): Logger {
  const envLevel = process.env['DRIFTD_LOG_LEVEL'] as LevelWithSilent | undefined;
  const options = {
    level: envLevel ?? level,
    base: { service: 'driftd' },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  const journal = opts.journal ?? (destination === undefined && stdoutIsJournal());
  if (journal) return pino(options, journalDestination(destination ?? process.stdout));
  return destination ? pino(options, destination as pino.DestinationStream) : pino(options);
}
