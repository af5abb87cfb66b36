/**
 * What the API needs from the history store, and no more: the store's own query types
 * fit these shapes, and tests can hand in a plain object. `since`/`until` arrive already
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

export interface HistoryReader {
  findingEpisodes(query: FindingEpisodeQuery): unknown[];
  changes(query: ChangeQuery): unknown[];
}
