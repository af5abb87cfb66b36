/**
 * corosync's facet holds two views: corosync.conf, which every node has, and the running
 * daemon's cmap (`runtime.*` keys), which exists only where corosync answers. When it
 * answers on some nodes only, reading each cmap key as "missing" elsewhere would bury the
 * one fact (corosync is not running there) under a finding per cmap key. So the file view
 * is compared across all nodes, the cmap view across the nodes that have one, and the
 * split itself is a single finding.
 */
import type { Finding } from '../findings.js';
import type { FacetSnapshot } from '../snapshot.js';
import { presenceSplitFinding, type EvalContext } from './build.js';
import { diffFacet, type Participant } from './peer-diff.js';
import { COROSYNC_RUNTIME_PREFIX } from './runtime.js';

/** The finding's key: the daemon's state, not a corosync.conf or cmap key. */
export const COROSYNC_RUNNING_KEY = 'daemon:running';
const RUNNING = 'running';

export function corosyncFacetFindings(ctx: EvalContext, participants: readonly Participant[]): Finding[] {
  const running = participants.filter((p) => hasRuntimeView(p.facet));
  if (running.length === 0 || running.length === participants.length) return diffFacet(ctx, 'corosync', participants);
  const fileView = participants.map((p) => ({ ...p, facet: onlyItems(p.facet, (key) => !isRuntimeKey(key)) }));
  const cmapView = running.map((p) => ({ ...p, facet: onlyItems(p.facet, isRuntimeKey) }));
  // Each view answers for its own keys only: a presence `expect:` on a file key must not
  // read a cmap-only view as the key missing, nor the other way round.
  const findings = [
    ...diffFacet(ctx, 'corosync', fileView).filter((f) => !isRuntimeKey(f.key)),
    ...diffFacet(ctx, 'corosync', cmapView).filter((f) => isRuntimeKey(f.key)),
  ];
  const split = runningSplitFinding(ctx, participants, new Set(running.map((p) => p.node)));
  if (split) findings.push(split);
  return findings;
}

function isRuntimeKey(key: string): boolean {
  return key.startsWith(COROSYNC_RUNTIME_PREFIX);
}

function hasRuntimeView(facet: FacetSnapshot): boolean {
  return facet.meta?.runtime === 'cmap';
}

function onlyItems(facet: FacetSnapshot, keep: (key: string) => boolean): FacetSnapshot {
  return { ...facet, items: Object.fromEntries(Object.entries(facet.items).filter(([key]) => keep(key))) };
}

function runningSplitFinding(ctx: EvalContext, participants: readonly Participant[], running: ReadonlySet<string>): Finding | undefined {
  const why = participants
    .filter((p) => !running.has(p.node))
    .map((p) => `${p.node} (${p.facet.meta?.runtime ?? 'no runtime view'})`)
    .join(', ');
  return presenceSplitFinding(ctx, {
    facet: 'corosync',
    key: COROSYNC_RUNNING_KEY,
    voters: participants.map((p) => p.node),
    present: running,
    value: RUNNING,
    message: `corosync answers (corosync-cmapctl) on ${[...running].join(', ')} but not on ${why}: a node whose corosync is not running is not a cluster member; its runtime is compared only where corosync runs`,
    defaultSeverity: 'critical',
  });
}
