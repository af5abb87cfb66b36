/**
 * One remote script for a whole collection, so a node costs one SSH exec channel (one
 * round trip) whatever the number of facets. Pure: the nonce and the clock come in.
 *
 * Framing: the script prints a start marker, then after each command an end marker
 * carrying the command's index and exit code, on stdout AND on stderr:
 *
 *     \n@@driftd:NONCE:start\n
 *     <output of command 0>\n@@driftd:NONCE:end:0:EXIT\n
 *     <output of command 1>\n@@driftd:NONCE:end:1:EXIT\n
 *
 * The `\n` before each marker is always printed by the script, so it is stripped
 * exactly once and output without a trailing newline round-trips byte for byte. The
 * nonce is random per run, so text from a node that merely resembles a marker (another
 * nonce, a recorded driftd run) is plain data. Anything a login shell prints before the
 * start marker is discarded.
 */
import type { CommandResult, CommandSpec } from './transport.js';
import { commandLine } from './shell-quote.js';

export const MARKER_PREFIX = '@@driftd:';
/**
 * Absolute, like every command: the node's PATH is not trusted. No `env LC_ALL=C` after
 * it: sudoers allow-lists the real command, and sudo keeps LC_* by default (env_keep);
 * a node whose sudoers drops LC_ALL runs sudo'd commands in its own locale.
 */
export const SUDO_ARGV: readonly string[] = ['/usr/bin/sudo', '-n', '--'];
/** The error a command gets when the stream ended before its end marker. */
export const CUT_ERROR = 'cut';

const NONCE_SHAPE = /^[A-Za-z0-9]{8,64}$/;
/** Longest marker tail after the needle: `end:` + index + `:` + exit code. */
const MAX_MARKER_TAIL = 48;
/** What is kept of the output before the start marker, to explain a script that never ran. */
const PREAMBLE_CAP = 4096;

export class BatchError extends Error {
  override readonly name = 'BatchError';
}

export interface BatchOptions {
  /** Random per run, [A-Za-z0-9]{8,64}. */
  nonce: string;
  /** The node's ssh.sudo: only then do `sudo: true` commands run under `sudo -n`. */
  sudo: boolean;
}

/** The argv actually run for a spec on a node with the given sudo setting. */
export function effectiveArgv(spec: CommandSpec, sudo: boolean): string[] {
  return spec.sudo && sudo ? [...SUDO_ARGV, ...spec.argv] : [...spec.argv];
}

/**
 * The script runs as `/bin/sh -s` with the script on stdin, and stdin stays open while
 * the transport waits. The whole script is one `{ ... }` block, so sh has read all of it
 * before running anything; a watchdog then waits for stdin's EOF, which comes when the
 * channel closes (done, timeout, output cut, connection lost), and kills the script's
 * process group so nothing lingers on the node. It only acts when sh leads its own
 * process group (sshd runs sessions under setsid); `kill -$$` otherwise finds no group.
 */
export function buildBatchScript(commands: readonly CommandSpec[], options: BatchOptions): string {
  assertNonce(options.nonce);
  const nonce = options.nonce;
  const marker = (suffix: string): string => `printf '\\n${MARKER_PREFIX}%s:${suffix}\\n' ${nonce}`;
  const lines = [
    '{',
    'export LC_ALL=C',
    'exec 3<&0',
    "( trap '' TERM; /bin/cat >/dev/null <&3; kill -TERM -$$; /bin/sleep 2; kill -KILL -$$ ) </dev/null >/dev/null 2>&1 &",
    `${marker('start')}; ${marker('start')} >&2`,
  ];
  commands.forEach((spec, index) => {
    // A command must never read the script (stdin) nor hold the watchdog's lifeline.
    lines.push(`${commandLine(effectiveArgv(spec, options.sudo))} </dev/null 3<&-`);
    lines.push('__driftd_rc=$?');
    const end = `printf '\\n${MARKER_PREFIX}%s:end:%d:%d\\n' ${nonce} ${index} "$__driftd_rc"`;
    lines.push(`${end}; ${end} >&2`);
  });
  lines.push('exit 0', '}', '');
  return lines.join('\n');
}

function assertNonce(nonce: string): void {
  if (!NONCE_SHAPE.test(nonce)) throw new BatchError('a batch nonce is 8-64 letters or digits');
}

type Marker = { kind: 'start' } | { kind: 'end'; index: number; exitCode: number };

function parseMarkerTail(tail: string): Marker | null {
  if (tail === 'start') return { kind: 'start' };
  const match = /^end:(\d{1,9}):(\d{1,5})$/.exec(tail);
  if (!match) return null;
  return { kind: 'end', index: Number(match[1]), exitCode: Number(match[2]) };
}

/** Splits one stream (stdout or stderr) into per-command byte buffers, each capped. */
class MarkedStream {
  private pending: Buffer = Buffer.alloc(0);
  started = false;
  private current = 0;
  private preambleBytes: Buffer = Buffer.alloc(0);
  readonly kept: Buffer[][];
  readonly seenBytes: number[];
  readonly ended: boolean[];
  readonly exitCodes: (number | null)[];
  readonly endedAt: (number | null)[];
  startedAt: number | null = null;

  constructor(
    private readonly needle: Buffer,
    private readonly caps: readonly number[],
    private readonly now: () => number,
  ) {
    const n = caps.length;
    this.kept = Array.from({ length: n }, () => []);
    this.seenBytes = new Array<number>(n).fill(0);
    this.ended = new Array<boolean>(n).fill(false);
    this.exitCodes = new Array<number | null>(n).fill(null);
    this.endedAt = new Array<number | null>(n).fill(null);
  }

  push(chunk: Buffer): void {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    for (;;) {
      const at = this.pending.indexOf(this.needle);
      if (at === -1) {
        // The last needle-1 bytes may be the beginning of a marker split across chunks.
        const keep = Math.min(this.pending.length, this.needle.length - 1);
        this.take(this.pending.subarray(0, this.pending.length - keep));
        this.pending = this.pending.subarray(this.pending.length - keep);
        return;
      }
      const tailStart = at + this.needle.length;
      const lineEnd = this.pending.indexOf(0x0a, tailStart);
      if (lineEnd === -1) {
        if (this.pending.length - tailStart > MAX_MARKER_TAIL) {
          this.take(this.pending.subarray(0, at + 1));
          this.pending = this.pending.subarray(at + 1);
          continue;
        }
        this.take(this.pending.subarray(0, at));
        this.pending = this.pending.subarray(at);
        return;
      }
      const marker = parseMarkerTail(this.pending.subarray(tailStart, lineEnd).toString('latin1'));
      if (!marker) {
        this.take(this.pending.subarray(0, at + 1));
        this.pending = this.pending.subarray(at + 1);
        continue;
      }
      this.take(this.pending.subarray(0, at));
      this.apply(marker);
      this.pending = this.pending.subarray(lineEnd + 1);
    }
  }

  /** The stream is over: whatever is pending is output, unless it is a marker cut short. */
  end(): void {
    if (this.pending.length > 0 && !this.pending.subarray(0, this.needle.length).equals(this.needle)) {
      this.take(this.pending);
    }
    this.pending = Buffer.alloc(0);
  }

  private apply(marker: Marker): void {
    if (marker.kind === 'start') {
      if (!this.started) {
        this.started = true;
        this.startedAt = this.now();
      }
      return;
    }
    if (!this.started || marker.index >= this.caps.length || marker.index < this.current) return;
    this.ended[marker.index] = true;
    this.exitCodes[marker.index] = marker.exitCode;
    this.endedAt[marker.index] = this.now();
    this.current = marker.index + 1;
  }

  private take(bytes: Buffer): void {
    if (!this.started && this.preambleBytes.length < PREAMBLE_CAP) {
      this.preambleBytes = Buffer.concat([this.preambleBytes, bytes]).subarray(0, PREAMBLE_CAP);
    }
    if (bytes.length === 0 || !this.started || this.current >= this.caps.length) return;
    const index = this.current;
    const cap = this.caps[index] ?? 0;
    const seen = this.seenBytes[index] ?? 0;
    const room = cap - seen;
    if (room > 0) this.kept[index]?.push(Buffer.from(bytes.subarray(0, room)));
    this.seenBytes[index] = seen + bytes.length;
  }

  get preamble(): string {
    return this.preambleBytes.toString('utf8');
  }

  output(index: number): string {
    return Buffer.concat(this.kept[index] ?? []).toString('utf8');
  }

  truncated(index: number): boolean {
    return (this.seenBytes[index] ?? 0) > (this.caps[index] ?? 0);
  }
}

export interface DemuxOptions {
  nonce: string;
  /** Cap for a spec without `maxBytes`, per stream. */
  defaultMaxBytes: number;
  /** Clock for per-command durations; defaults to a clock that always says 0. */
  now?: () => number;
}

/**
 * Incremental demultiplexer for a batch's stdout and stderr. Memory is bounded by the
 * caps: bytes past a command's cap are counted (for `truncated`) and dropped.
 */
export class BatchDemuxer {
  private readonly stdout: MarkedStream;
  private readonly stderr: MarkedStream;
  private readonly now: () => number;
  private readonly createdAt: number;
  readonly caps: readonly number[];

  constructor(
    private readonly commands: readonly CommandSpec[],
    options: DemuxOptions,
  ) {
    assertNonce(options.nonce);
    this.now = options.now ?? (() => 0);
    this.createdAt = this.now();
    this.caps = commands.map((spec) => spec.maxBytes ?? options.defaultMaxBytes);
    const needle = Buffer.from(`\n${MARKER_PREFIX}${options.nonce}:`, 'latin1');
    this.stdout = new MarkedStream(needle, this.caps, this.now);
    this.stderr = new MarkedStream(needle, this.caps, this.now);
  }

  /** Sum of every stream's cap: past it a transport may cut the channel. */
  get totalCapBytes(): number {
    return this.caps.reduce((sum, cap) => sum + 2 * cap, 0);
  }

  /** False until stdout carried the start marker: the script never ran (login shell, forced command). */
  get started(): boolean {
    return this.stdout.started;
  }

  /** Up to 4 KiB of each stream before the start marker (login shell messages). */
  get preamble(): { stdout: string; stderr: string } {
    return { stdout: this.stdout.preamble, stderr: this.stderr.preamble };
  }

  pushStdout(chunk: Buffer): void {
    this.stdout.push(chunk);
  }

  pushStderr(chunk: Buffer): void {
    this.stderr.push(chunk);
  }

  /** Both streams are over; a command missing an end marker gets `unfinishedError`. */
  finish(unfinishedError: string = CUT_ERROR): CommandResult[] {
    this.stdout.end();
    this.stderr.end();
    const finishedAt = this.now();
    let previousEnd = this.stdout.startedAt ?? this.createdAt;
    return this.commands.map((spec, index) => {
      const complete = this.stdout.ended[index] === true && this.stderr.ended[index] === true;
      const endedAt = this.stdout.endedAt[index] ?? finishedAt;
      const durationMs = Math.max(0, endedAt - previousEnd);
      previousEnd = endedAt;
      const result: CommandResult = {
        id: spec.id,
        exitCode: complete ? (this.stdout.exitCodes[index] ?? null) : null,
        stdout: this.stdout.output(index),
        stderr: this.stderr.output(index),
        truncated: this.stdout.truncated(index) || this.stderr.truncated(index),
        durationMs,
      };
      if (!complete) result.error = unfinishedError;
      return result;
    });
  }
}

/** Whole-buffer convenience over BatchDemuxer (tests, recorded channels). */
export function demuxBatch(
  commands: readonly CommandSpec[],
  stdout: Buffer,
  stderr: Buffer,
  options: DemuxOptions & { unfinishedError?: string },
): CommandResult[] {
  const demuxer = new BatchDemuxer(commands, options);
  demuxer.pushStdout(stdout);
  demuxer.pushStderr(stderr);
  return demuxer.finish(options.unfinishedError);
}
