/**
 * Runs the real `dpkg --compare-versions` for many inputs in one /bin/sh, so property
 * tests can ask dpkg about hundreds of versions in well under a second.
 */
import { spawnSync } from 'node:child_process';

function which(program: string): boolean {
  return spawnSync('/bin/sh', ['-c', `command -v ${program}`], { encoding: 'utf8' }).status === 0;
}

export const dpkgAvailable = which('dpkg');

export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

function runScript(script: string): string {
  const result = spawnSync('/bin/sh', ['-s'], {
    input: script,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, LC_ALL: 'C' },
  });
  if (result.status !== 0) throw new Error(`dpkg batch failed: ${result.stderr}`);
  return result.stdout;
}

/** dpkg's sign of compare(a, b) for each pair, or NaN where dpkg refused a version. */
export function dpkgCompareBatch(pairs: readonly (readonly [string, string])[]): number[] {
  const script = pairs
    .map(([a, b]) => {
      const qa = shellQuote(a);
      const qb = shellQuote(b);
      return (
        `if dpkg --compare-versions -- ${qa} lt ${qb} 2>/dev/null; then echo -1; ` +
        `elif dpkg --compare-versions -- ${qa} eq ${qb} 2>/dev/null; then echo 0; ` +
        `elif dpkg --compare-versions -- ${qa} gt ${qb} 2>/dev/null; then echo 1; ` +
        `else echo error; fi`
      );
    })
    .join('\n');
  const lines = runScript(`${script}\n`).split('\n').slice(0, pairs.length);
  if (lines.length !== pairs.length) throw new Error('dpkg batch: missing answers');
  return lines.map((line) => (line === 'error' ? Number.NaN : Number(line)));
}

export interface DpkgVerdict {
  /** 0 accepted (possibly with a warning), 2 rejected. */
  status: number;
  /** dpkg's stderr for this version, e.g. "dpkg: warning: version 'a' has bad syntax: ...". */
  stderr: string;
}

/**
 * What dpkg says when parsing each value (compared against the valid version "1").
 * Values must not contain newlines or NUL, which the shell batch cannot carry.
 */
export function dpkgVerdictBatch(values: readonly string[]): DpkgVerdict[] {
  const script = values
    .map((value, index) => `dpkg --compare-versions -- ${shellQuote(value)} eq 1 2>&1 >/dev/null; echo "@@${index} $?"`)
    .join('\n');
  const output = runScript(`${script}\n`);
  const verdicts: DpkgVerdict[] = [];
  let pending: string[] = [];
  for (const line of output.split('\n')) {
    const marker = /^@@(\d+) (\d+)$/.exec(line);
    if (marker) {
      // `eq` exits 1 for "not equal": only 2 means dpkg rejected the version.
      verdicts.push({ status: Number(marker[2]) === 2 ? 2 : 0, stderr: pending.join('\n') });
      pending = [];
    } else if (line !== '') {
      pending.push(line);
    }
  }
  if (verdicts.length !== values.length) throw new Error('dpkg verdict batch: missing answers');
  return verdicts;
}
