/**
 * A transport runs read-only commands on one node and hands back their raw output.
 * Implementations: ssh (a real node), local (this machine), replay (recorded outputs).
 *
 * Commands are argv arrays, never shell strings built from config: the ssh transport
 * quotes every element, the local one passes argv to execFile. Where a facet needs a
 * shell (globbing, fallbacks), it runs `/bin/sh -c CONSTANT_SCRIPT sh ARG...` with the
 * config values as positional arguments.
 */

import type { CommandResult, CommandSpec } from '../core/command.js';

export type { CommandResult, CommandSpec };

export type TransportErrorCode =
  | 'host-key-unknown'
  | 'host-key-mismatch'
  | 'host-key-revoked'
  | 'auth-failed'
  | 'connect-refused'
  | 'connect-timeout'
  | 'dns'
  | 'command-timeout'
  | 'config'
  | 'replay-missing'
  | 'io';

/** A node-level failure with a message a user can act on. */
export class TransportError extends Error {
  override readonly name = 'TransportError';
  constructor(
    readonly code: TransportErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface RunOptions {
  /** Aborts the whole batch; outstanding commands come back with `error`. */
  signal?: AbortSignal;
}

export interface Transport {
  readonly kind: 'ssh' | 'local' | 'replay';
  /** Human description for logs and errors, e.g. `driftd@10.0.0.1:22`. */
  readonly target: string;
  /** Connects (ssh: one connection per node per run). Throws TransportError. */
  open(): Promise<void>;
  /**
   * Runs every command of a collection, in as few round trips as the transport allows,
   * and returns one result per spec in the same order. Throws TransportError only when
   * the node as a whole failed; a single failing command is reported in its result.
   */
  run(commands: CommandSpec[], options?: RunOptions): Promise<CommandResult[]>;
  close(): Promise<void>;
}
