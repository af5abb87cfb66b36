/**
 * Exit codes, documented in the README ("Exit codes"). Scripts and playbooks rely on them.
 */
export const EXIT = {
  /** Success; for `check`: the cluster is ready. */
  ok: 0,
  /** `check`: not ready. `collect`: at least one node failed. `history verify`: chain broken. `window verify|finish`: not safe yet. */
  notReady: 1,
  /** Could not decide: usage or config error, no node reachable, unreadable store. */
  undecided: 2,
  /** A bug in driftd: the message says what failed; please report it. */
  internal: 3,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An error that maps to an exit code and a message for the user, without a stack trace. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: ExitCode = EXIT.undecided,
  ) {
    super(message);
  }
}
