/**
 * Recorded outputs instead of a node: for tests, demos and offline diffs.
 *
 * Recording format (one directory per node, one set of files per command id):
 *
 *   <id>.txt        stdout, byte for byte (UTF-8 text)
 *   <id>.stderr     stderr; optional, empty when absent
 *   <id>.exit       exit code as a decimal number; optional, 0 when absent
 *   <id>.truncated  present (any content) when the output hit the cap; optional
 *   <id>.error      transport error (e.g. "timeout after 60s"); optional. With no
 *                   <id>.exit, the command counts as not finished (exit code null)
 *
 * A command with none of <id>.txt, <id>.exit or <id>.error was not recorded: it
 * replays as exit code 127 with stderr "not recorded", the way a missing tool looks on
 * a node, so its collector reports the facet unsupported instead of failing.
 * Ids are file names: letters, digits, ".", "_", "-", not starting with ".".
 * `driftd collect --record DIR` writes this format (record.ts).
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { TransportError, type CommandResult, type CommandSpec, type Transport } from './transport.js';

export const NOT_RECORDED_EXIT_CODE = 127;
export const NOT_RECORDED_STDERR = 'not recorded';

const RECORDING_ID = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}$/;

export function isRecordingId(id: string): boolean {
  return RECORDING_ID.test(id);
}

export const RECORDING_SUFFIXES = ['.txt', '.stderr', '.exit', '.truncated', '.error'] as const;

export interface ReplayTransportOptions {
  node: string;
  /** Absolute directory of recorded outputs. */
  dir: string;
}

export class ReplayTransport implements Transport {
  readonly kind = 'replay' as const;
  readonly target: string;

  constructor(private readonly options: ReplayTransportOptions) {
    this.target = `replay:${options.dir}`;
  }

  async open(): Promise<void> {
    let isDirectory: boolean;
    try {
      isDirectory = (await stat(this.options.dir)).isDirectory();
    } catch {
      isDirectory = false;
    }
    if (!isDirectory) {
      throw new TransportError(
        'replay-missing',
        `node ${this.options.node}: replay directory ${this.options.dir} does not exist; record one with driftd collect --record DIR`,
      );
    }
  }

  async close(): Promise<void> {}

  async run(commands: CommandSpec[]): Promise<CommandResult[]> {
    return Promise.all(commands.map((spec) => readRecording(this.options.dir, spec.id)));
  }
}

async function readOptional(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new TransportError('io', `cannot read recording ${file}: ${(error as Error).message}`, { cause: error });
  }
}

export async function readRecording(dir: string, id: string): Promise<CommandResult> {
  const result: CommandResult = { id, exitCode: null, stdout: '', stderr: '', truncated: false, durationMs: 0 };
  if (!isRecordingId(id)) return { ...result, error: `command id "${id}" cannot name a recording file` };
  const base = join(dir, id);
  const [stdout, stderr, exit, truncated, error] = await Promise.all(RECORDING_SUFFIXES.map((suffix) => readOptional(base + suffix)));
  if (stdout === undefined && exit === undefined && error === undefined) {
    return { ...result, exitCode: NOT_RECORDED_EXIT_CODE, stderr: NOT_RECORDED_STDERR };
  }
  result.stdout = stdout ?? '';
  result.stderr = stderr ?? '';
  result.truncated = truncated !== undefined;
  if (error !== undefined) result.error = error.trim();
  if (exit === undefined) {
    result.exitCode = error === undefined ? 0 : null;
  } else if (/^\s*\d{1,3}\s*$/.test(exit)) {
    result.exitCode = Number(exit.trim());
  } else {
    result.error = `recording ${base}.exit is not an exit code: ${JSON.stringify(exit.slice(0, 40))}`;
  }
  return result;
}
