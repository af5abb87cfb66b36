import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { commandLine, quoteArg, ShellQuoteError } from '../../src/transports/shell-quote.js';

/** Runs `printf '%s\0' ARGV...` through a real /bin/sh and splits what it printed. */
function roundTrip(argv: string[]): string[] {
  const out = execFileSync('/bin/sh', ['-c', `/usr/bin/printf '%s\\0' ${commandLine(argv)}`]);
  const parts = out.toString('utf8').split('\0');
  parts.pop();
  return parts;
}

const nasty = fc.constantFrom(
  "'",
  '"',
  '\\',
  '$(id)',
  '`id`',
  ';',
  '; touch /tmp/x',
  '&&',
  '|',
  '\n',
  '\r\n',
  '$HOME',
  '${IFS}',
  '*',
  '?',
  '[a]',
  '~',
  '#',
  ' ',
  '\t',
  '!',
  '-n',
  '--',
  'A=b',
  "'\\''",
  '',
);
const arg = fc.oneof(
  fc.string({ unit: 'binary' }).filter((s) => !s.includes('\0')),
  nasty,
  fc.array(nasty, { maxLength: 6 }).map((parts) => parts.join('')),
);

describe('quoteArg', () => {
  it.each([
    ['plain', 'plain'],
    ['/usr/bin/dpkg-query', '/usr/bin/dpkg-query'],
    ['', "''"],
    ["it's", "'it'\\''s'"],
    ['a b', "'a b'"],
    ['A=b', "'A=b'"],
    ['$(id)', "'$(id)'"],
  ])('quotes %j as %s', (input, expected) => {
    expect(quoteArg(input)).toBe(expected);
  });

  it('refuses a NUL byte with a typed error', () => {
    expect(() => quoteArg('a\0b')).toThrow(ShellQuoteError);
  });

  it('refuses an empty argv', () => {
    expect(() => commandLine([])).toThrow(ShellQuoteError);
  });
});

describe('commandLine through a real /bin/sh', () => {
  it('round-trips arbitrary argv exactly (property)', () => {
    fc.assert(
      fc.property(fc.array(arg, { minLength: 1, maxLength: 5 }), (argv) => {
        expect(roundTrip(argv)).toEqual(argv);
      }),
      { numRuns: 150 },
    );
  });

  it('never runs an injected command', () => {
    const dir = mkdtempSync(join(tmpdir(), 'driftd-quote-'));
    const victim = join(dir, 'pwned');
    try {
      const argv = [`; touch ${victim}`, `$(touch ${victim})`, `\`touch ${victim}\``, `'; touch ${victim}; '`, `\ntouch ${victim}`];
      expect(roundTrip(argv)).toEqual(argv);
      expect(existsSync(victim)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
