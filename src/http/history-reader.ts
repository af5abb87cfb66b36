/**
 * What the API needs from the history store, and no more: the store's own query types
 * fit these shapes, and tests can hand in a plain object (or a real Store). `since`/`until` arrive already
 * validated and normalised to `Date#toISOString()`.
 */
export interface FindingEpisodeQuery {
  cluster?: string;
  since?: string;
  until?: string;
}

export interface ChangeQuery {
  node?: string;
  since?: string;
  until?: string;
}

/** Each answer may be a promise (the store is async) or, for tests, a plain value. */
export interface HistoryReader {
  findingEpisodes(query: FindingEpisodeQuery): unknown[] | Promise<unknown[]>;
  changes(query: ChangeQuery): unknown[] | Promise<unknown[]>;
  /**
   * The node's snapshot taken at or before `at` (ISO 8601 UTC) in `cluster`, null when
   * none is stored. The view keeps only a summary of each snapshot; the API reads the
   * full one (every package, sysctl, module) from the store by the summary's takenAt.
   */
  snapshotOf(node: string, at: string, cluster: string): unknown;
  /** True when the store has ever seen a node by this name; unknown nodes get 404. */
  knowsNode?(node: string): boolean | Promise<boolean>;
}
