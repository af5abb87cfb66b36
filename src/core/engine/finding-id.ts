import type { FindingKind } from '../findings.js';
import { sha256Hex } from '../snapshot.js';

/** Stable across runs, so the store can follow one finding's life from first seen to resolved. */
export function findingId(cluster: string, kind: FindingKind, facet: string, key: string): string {
  return sha256Hex([cluster, kind, facet, key].join('\0')).slice(0, 16);
}
