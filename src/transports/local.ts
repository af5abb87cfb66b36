/**
 * This machine, without SSH: each command through execFile (argv, never a shell
 * string), LC_ALL=C, a timeout and an output cap per command, a few at a time.
 */
import { execFile, type ExecFileException } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { effectiveArgv } from './batch.js';
import type { CommandResult, CommandSpec, RunOptions, Transport } from './transport.js';

export interface LocalTransportOptions {
  node: string;
  commandTimeoutSeconds: number;
  maxOutputBytes: number;
  sudo: boolean;
  /** Commands running at once; default 4. */
  concurrency?: number;
}

const DEFAULT_CONCURRENCY = 4;

export class LocalTransport implements Transport {
  readonly kind = 'local' as const;
  readonly target = 'local';

  constructor(private readonly options: LocalTransportOptions) {}

  async open(): Promise<void> {}

  async close(): Promise<void> {}

  async run(commands: CommandSpec[], options: RunOptions = {}): Promise<CommandResult[]> {
    const results = new Array<CommandResult>(commands.length);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < commands.length) {
        const index = next++;
        results[index] = await this.runOne(commands[index] as CommandSpec, options.signal);
      }
    };
    const workers = Math.max(1, Math.min(this.options.concurrency ?? DEFAULT_CONCURRENCY, commands.length));
    await Promise.all(Array.from({ length: workers }, worker));
    return results;
  }

  private runOne(spec: CommandSpec, signal: AbortSignal | undefined): Promise<CommandResult> {
    const argv = effectiveArgv(spec, this.options.sudo);
    const cap = spec.maxBytes ?? this.options.maxOutputBytes;
    const timeoutSeconds = this.options.commandTimeoutSeconds;
    const started = performance.now();
    const [file, ...args] = argv;
    return new Promise((resolve) => {
      if (file === undefined || argv.some((arg) => arg.includes('\0'))) {
        resolve({
          id: spec.id,
          exitCode: null,
          stdout: '',
          stderr: '',
          truncated: false,
          durationMs: 0,
          error: 'invalid argv (empty or containing NUL)',
        });
        return;
      }
      if (signal?.aborted) {
        resolve({ id: spec.id, exitCode: null, stdout: '', stderr: '', truncated: false, durationMs: 0, error: 'aborted' });
        return;
      }
      execFile(
        file,
        args,
        {
          encoding: 'buffer',
          env: { ...process.env, LC_ALL: 'C' },
          timeout: timeoutSeconds * 1000,
          killSignal: 'SIGKILL',
          maxBuffer: cap,
          signal,
        },
        (error, stdout, stderr) => {
          const base = {
            id: spec.id,
            stdout: decodeCapped(stdout, cap),
            stderr: decodeCapped(stderr, cap),
            durationMs: performance.now() - started,
          };
          resolve({ ...base, ...outcome(error, file, cap, timeoutSeconds) });
        },
      );
    });
  }
}

function decodeCapped(output: Buffer | string, cap: number): string {
  const bytes = typeof output === 'string' ? Buffer.from(output) : output;
  return bytes.subarray(0, cap).toString('utf8');
}

type Outcome = Pick<CommandResult, 'exitCode' | 'truncated' | 'error'> & { stderr?: string };

/** execFile's error -> what a remote shell would have reported, plus our own errors. */
function outcome(error: ExecFileException | null, file: string, cap: number, timeoutSeconds: number): Outcome {
  if (error === null) return { exitCode: 0, truncated: false };
  const code: unknown = error.code;
  if (code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER') {
    return { exitCode: null, truncated: true, error: `output cap of ${cap} bytes exceeded; command stopped` };
  }
  if (error.name === 'AbortError') return { exitCode: null, truncated: false, error: 'aborted' };
  // Like sh: 127 for a missing program, 126 for one that cannot be executed.
  if (code === 'ENOENT') return { exitCode: 127, truncated: false, stderr: `${file}: not found\n` };
  if (code === 'EACCES') return { exitCode: 126, truncated: false, stderr: `${file}: permission denied\n` };
  if (typeof code === 'number') return { exitCode: code, truncated: false };
  if (error.killed) return { exitCode: null, truncated: false, error: `timeout after ${timeoutSeconds}s` };
  if (error.signal) return { exitCode: null, truncated: false, error: `killed by ${error.signal}` };
  return { exitCode: null, truncated: false, error: error.message };
}
