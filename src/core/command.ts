/**
 * What a collector asks a node to run and what comes back: the contract between the
 * collectors (which declare commands and parse results) and the transports (which run
 * them). Plain data, owned by the core so that neither edge depends on the other.
 */
export interface CommandSpec {
  /** Stable id, unique within one collection: also the recording's file name. */
  id: string;
  argv: string[];
  /** Per-command output cap in bytes; past it the output is cut and `truncated` set. */
  maxBytes?: number;
  /** Run under `sudo -n` when the node's ssh.sudo is enabled (allow-listed commands only). */
  sudo?: boolean;
}

export interface CommandResult {
  id: string;
  /** null when the command did not finish (timeout, cut, transport failure). */
  exitCode: number | null;
  stdout: string;
  stderr: string;
  truncated: boolean;
  durationMs: number;
  /** Set when the command could not run or was cut: timeout, output cap, channel error. */
  error?: string;
}
