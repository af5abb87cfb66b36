/** Why a window command could not proceed; the CLI maps each code to an exit code. */
export type WindowErrorCode = 'no-window' | 'not-ready' | 'unknown-node' | 'rules-invalid' | 'no-baseline';

export class WindowError extends Error {
  override readonly name = 'WindowError';
  constructor(
    readonly code: WindowErrorCode,
    message: string,
  ) {
    super(message);
  }
}
