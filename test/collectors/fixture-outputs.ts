/**
 * Reads a fixture directory the way the replay transport does: `<id>.txt` is stdout,
 * `<id>.exit` the exit code (0 when absent), `<id>.stderr` stderr (empty when absent).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CommandOutput } from '../../src/collectors/collector.js';

export const FIXTURES = join(import.meta.dirname, '..', '..', 'fixtures');

export function fixtureOutput(dir: string, id: string): CommandOutput | undefined {
  const base = join(FIXTURES, dir, id);
  if (!existsSync(`${base}.txt`)) return undefined;
  const exit = existsSync(`${base}.exit`) ? Number(readFileSync(`${base}.exit`, 'utf8').trim()) : 0;
  const stderr = existsSync(`${base}.stderr`) ? readFileSync(`${base}.stderr`, 'utf8') : '';
  return { exitCode: exit, stdout: readFileSync(`${base}.txt`, 'utf8'), stderr, truncated: false };
}

/** Every listed id of one fixture dir that exists there, as the parsers' input. */
export function fixtureOutputs(dir: string, ids: readonly string[]): Record<string, CommandOutput> {
  const out: Record<string, CommandOutput> = {};
  for (const id of ids) {
    const o = fixtureOutput(dir, id);
    if (o) out[id] = o;
  }
  return out;
}

/** A successful command's output, for inputs a test writes itself. */
export function ok(stdout: string): CommandOutput {
  return { exitCode: 0, stdout, stderr: '', truncated: false };
}

export function failed(exitCode: number, stderr: string, stdout = ''): CommandOutput {
  return { exitCode, stdout, stderr, truncated: false };
}
