/** Store failures a user can act on; `code` is stable for callers and tests. */
export type StoreErrorCode =
  'newer-schema' | 'migration-failed' | 'open-failed' | 'invalid-input' | 'corrupt' | 'unavailable' | 'not-applicable';

export class StoreError extends Error {
  override readonly name = 'StoreError';
  constructor(
    readonly code: StoreErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
