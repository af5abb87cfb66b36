/**
 * A reader that stops early (`driftd collect --json | head -1`) closes the pipe: the next
 * write fails with EPIPE. That is not an error of driftd's: stop writing quietly and exit
 * with the command's own code, instead of an unhandled 'error' event and a stack trace.
 */
import type { Writable } from 'node:stream';

const CLOSED_READER = new Set(['EPIPE', 'ERR_STREAM_DESTROYED']);

function codeOf(err: unknown): string {
  return err !== null && typeof err === 'object' && 'code' in err ? String((err as NodeJS.ErrnoException).code) : '';
}

/** True when the error means the reader went away (not a disk or terminal failure). */
export function isClosedReader(err: unknown): boolean {
  return CLOSED_READER.has(codeOf(err));
}

/**
 * Keeps a closed stdout/stderr from crashing the process. Other write errors (EIO, ENOSPC)
 * are reported on stderr when it is still open and exit 2: the output is incomplete.
 */
let failed = false;

/** True once a write failed for another reason than a closed reader: the output is incomplete. */
export function outputFailed(): boolean {
  return failed;
}

export function tolerateClosedOutput(streams: readonly Writable[] = [process.stdout, process.stderr]): void {
  for (const stream of streams) {
    stream.on('error', (err: unknown) => {
      if (isClosedReader(err)) return;
      failed = true;
      if (stream !== process.stderr && !process.stderr.destroyed) {
        process.stderr.write(`driftd: cannot write the output: ${err instanceof Error ? err.message : String(err)}\n`);
      }
      process.exitCode = 2;
    });
  }
}
