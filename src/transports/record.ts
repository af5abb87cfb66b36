/** Writes CommandResults in the replay format (see replay.ts) for `driftd collect --record DIR`. */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isRecordingId, RECORDING_SUFFIXES } from './replay.js';
import { TransportError, type CommandResult } from './transport.js';

export async function recordResults(dir: string, results: readonly CommandResult[]): Promise<void> {
  const bad = results.find((result) => !isRecordingId(result.id));
  if (bad) throw new TransportError('config', `command id "${bad.id}" cannot name a recording file`);
  await mkdir(dir, { recursive: true });
  for (const result of results) {
    const base = join(dir, result.id);
    // A re-recording must not inherit an old run's .exit or .error.
    await Promise.all(RECORDING_SUFFIXES.map((suffix) => rm(base + suffix, { force: true })));
    await writeFile(`${base}.txt`, result.stdout);
    if (result.stderr !== '') await writeFile(`${base}.stderr`, result.stderr);
    // 0 is the default, except beside an .error, where a missing .exit means "not finished".
    const exitNeeded = result.exitCode !== null && (result.exitCode !== 0 || result.error !== undefined);
    if (exitNeeded) await writeFile(`${base}.exit`, `${result.exitCode}\n`);
    if (result.truncated) await writeFile(`${base}.truncated`, '');
    if (result.error !== undefined) await writeFile(`${base}.error`, `${result.error}\n`);
  }
}
