/**
 * POSIX shell quoting for argv elements sent to a remote shell. Inside single quotes
 * nothing is special except the quote itself, so each `'` becomes `'\''` (close, an
 * escaped quote, reopen). NUL cannot travel in an argv at all, so it is refused rather
 * than silently dropped by the remote shell.
 */

export class ShellQuoteError extends Error {
  override readonly name = 'ShellQuoteError';
}

/**
 * Characters that never need quoting; anything else gets single quotes. `=` is left out
 * on purpose: a bare `A=b` in command position is an assignment, not a command.
 */
const SAFE_BARE = /^[A-Za-z0-9_/.,:@%+-]+$/;

export function quoteArg(arg: string): string {
  if (arg.includes('\0')) {
    throw new ShellQuoteError('an argument contains a NUL byte, which no command line can carry');
  }
  if (SAFE_BARE.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** One command line for `sh`, every argv element quoted; the argv is never re-split. */
export function commandLine(argv: readonly string[]): string {
  if (argv.length === 0) throw new ShellQuoteError('an empty argv is not a command');
  return argv.map(quoteArg).join(' ');
}
