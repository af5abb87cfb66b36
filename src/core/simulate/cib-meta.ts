/**
 * The CIB with its status section, as the pacemaker collector keeps it for failover
 * simulation (src/collectors/pacemaker-cib-state.ts): in the facet's meta under
 * CIB_META_KEY, secrets redacted. Runtime state: stored with the snapshot, never compared
 * between nodes and never logged as a change (the status moves with every resource action).
 */
import type { FacetName } from '../snapshot.js';

/** Meta key of the pacemaker facet holding the whole CIB (configuration and status) as XML. */
export const CIB_META_KEY = 'cib';

/**
 * Meta key of the pacemaker facet holding the CIB's version, `admin_epoch.epoch.num_updates`:
 * Pacemaker replaces older CIBs with the one of the highest version when nodes join
 * (src/core/engine/cib-direction.ts). It moves with every status update, so it is runtime meta.
 */
export const CIB_VERSION_META_KEY = 'cib-version';

/** Meta kept for other uses than comparison: left out of the change log and of window verdicts. */
export function isRuntimeMeta(facet: FacetName | 'node', key: string): boolean {
  return facet === 'pacemaker' && (key === CIB_META_KEY || key === CIB_VERSION_META_KEY);
}
