/**
 * Runtime versus on disk, per node: what runs now against what the node's own files
 * load on the next restart, reboot or failover. Peer diff cannot see this when every
 * node is wrong the same way, so each node is judged against itself.
 *
 * - sysctl: each live value against what the sysctl.d files set (`configured.<key>`);
 * - corosync: each corosync.conf key against the running daemon's cmap (`runtime.<key>`);
 * - services: an enabled service that is not running (failed, or stopped by hand);
 * - drbd: resources whose running settings `drbdadm -d adjust` would change;
 * - mounts: an /etc/fstab entry (not `noauto`, not swap) that is not mounted now.
 * The kernel (running release against the newest installed) stays a precondition
 * (reboot_required); it carries the same running/configured detail.
 *
 * Findings are keyed `runtime:<key>` so rules can treat them apart from peer drift.
 */
import type { Finding, RuntimeDetail, Severity } from '../findings.js';
import type { FacetName, FacetSnapshot, NodeSnapshot } from '../snapshot.js';
import { appendAll } from '../append.js';
import { finalizeFinding, type EvalContext } from './build.js';
import { itemLabel, showValue } from './peer-diff.js';
import { compileKeyPattern } from './rules/match.js';
import { resolveRule } from './rules/compile.js';

export const RUNTIME_KEY_PREFIX = 'runtime:';
export const SYSCTL_CONFIGURED_PREFIX = 'configured.';
export const COROSYNC_RUNTIME_PREFIX = 'runtime.';
/** Mirrors the drbd collector's `runtime.adjust.<resource>` items. */
export const DRBD_ADJUST_PREFIX = 'runtime.adjust.';

/** One node's divergence on one key. */
export interface RuntimeDivergence {
  facet: FacetName;
  key: string;
  node: string;
  detail: RuntimeDetail;
  severity: Severity;
  /** What re-reading the files would do, for the message. */
  consequence: string;
  /** How to say "not running" for this facet (default: "does not run it"). */
  absent?: string;
}

const SEVERITY_ORDER: readonly Severity[] = ['info', 'warning', 'critical'];

function worse(a: Severity, b: Severity): Severity {
  return SEVERITY_ORDER.indexOf(a) >= SEVERITY_ORDER.indexOf(b) ? a : b;
}

function sameSetting(a: string, b: string): boolean {
  return a.replace(/\s+/g, ' ').trim() === b.replace(/\s+/g, ' ').trim();
}

/** Live sysctl values against the files; explicit keys beat globs, as in systemd-sysctl. */
export function sysctlDivergences(node: string, facet: FacetSnapshot): RuntimeDivergence[] {
  const live = new Map<string, string>();
  const explicit = new Map<string, { value: string; source?: string }>();
  const globs: { matches: (key: string) => boolean; value: string; source?: string }[] = [];
  for (const [key, item] of Object.entries(facet.items)) {
    if (!key.startsWith(SYSCTL_CONFIGURED_PREFIX)) {
      live.set(key, item.value);
      continue;
    }
    const configuredKey = key.slice(SYSCTL_CONFIGURED_PREFIX.length);
    const entry = item.source === undefined ? { value: item.value } : { value: item.value, source: item.source };
    if (/[*?]/.test(configuredKey)) globs.push({ matches: compileKeyPattern(configuredKey), ...entry });
    else explicit.set(configuredKey, entry);
  }
  const wanted = new Map<string, { value: string; source?: string }>();
  for (const glob of globs) {
    for (const key of live.keys()) if (glob.matches(key)) wanted.set(key, glob);
  }
  for (const [key, entry] of explicit) wanted.set(key, entry);
  const out: RuntimeDivergence[] = [];
  for (const [key, entry] of wanted) {
    const running = live.get(key);
    // A key the kernel does not have (module not loaded, `-` prefixed) sets nothing now.
    if (running === undefined || sameSetting(running, entry.value)) continue;
    const detail: RuntimeDetail = { running, configured: entry.value };
    if (entry.source !== undefined) detail.source = entry.source;
    out.push({
      facet: 'sysctl',
      key,
      node,
      detail,
      severity: 'warning',
      consequence: 'the next boot or `sysctl --system` applies the file value',
    });
  }
  return out;
}

/** Section keys whose cmap twin is indexed differently (nodelist.node.0...) are skipped. */
function comparableConfKey(key: string): boolean {
  return !key.startsWith(COROSYNC_RUNTIME_PREFIX) && !key.startsWith('file:') && !key.includes('[');
}

/**
 * corosync.conf against the running cmap, when the daemon answered. Only plain keys
 * (totem.token, quorum.two_node, logging.debug): those corosync stores verbatim.
 */
export function corosyncDivergences(node: string, facet: FacetSnapshot): RuntimeDivergence[] {
  if (facet.meta?.runtime !== 'cmap') return [];
  const out: RuntimeDivergence[] = [];
  const consequence = 'the next corosync restart or `corosync-cfgtool -R` loads the file value';
  for (const [key, item] of Object.entries(facet.items)) {
    if (!comparableConfKey(key)) continue;
    const running = facet.items[`${COROSYNC_RUNTIME_PREFIX}${key}`];
    if (running !== undefined && sameSetting(running.value, item.value)) continue;
    out.push({
      facet: 'corosync',
      key,
      node,
      detail: { running: running?.value ?? null, configured: item.value, source: '/etc/corosync/corosync.conf' },
      severity: 'critical',
      consequence,
    });
  }
  // A key removed from the file keeps running until the next reload.
  for (const [key, item] of Object.entries(facet.items)) {
    if (!key.startsWith(COROSYNC_RUNTIME_PREFIX)) continue;
    const confKey = key.slice(COROSYNC_RUNTIME_PREFIX.length);
    if (!/^(totem|quorum)\.[a-z_]+$/.test(confKey) || Object.hasOwn(facet.items, confKey)) continue;
    out.push({
      facet: 'corosync',
      key: confKey,
      node,
      detail: { running: item.value, configured: null, source: '/etc/corosync/corosync.conf' },
      severity: 'critical',
      consequence,
    });
  }
  return out;
}

/**
 * An enabled service that failed is broken now; one that is merely inactive may be a
 * oneshot that finished, so it is only worth a note.
 */
export function servicesDivergences(node: string, facet: FacetSnapshot): RuntimeDivergence[] {
  const out: RuntimeDivergence[] = [];
  for (const [unit, item] of Object.entries(facet.items)) {
    const [state, active] = item.value.split(' ');
    if (state !== 'enabled' || (active !== 'failed' && active !== 'inactive')) continue;
    out.push({
      facet: 'services',
      key: unit,
      node,
      detail: { running: active, configured: 'enabled' },
      severity: active === 'failed' ? 'warning' : 'info',
      consequence: 'it is enabled at boot but not running now',
    });
  }
  return out;
}

/** `runtime.adjust.<resource>`: what `drbdadm -d adjust` would run; empty means in sync. */
export function drbdDivergences(node: string, facet: FacetSnapshot): RuntimeDivergence[] {
  const out: RuntimeDivergence[] = [];
  for (const [key, item] of Object.entries(facet.items)) {
    if (!key.startsWith(DRBD_ADJUST_PREFIX) || item.value === '') continue;
    const resource = key.slice(DRBD_ADJUST_PREFIX.length);
    out.push({
      facet: 'drbd',
      key: resource,
      node,
      detail: { running: 'differs', configured: item.value, source: 'drbdadm -d adjust' },
      severity: 'critical',
      consequence: 'the next `drbdadm adjust` or resource restart applies the configuration',
    });
  }
  return out;
}

/** Mirror the mounts collector's keys (src/collectors/mounts.ts); the core imports no collector. */
export const MOUNTS_FSTAB_PREFIX = 'fstab.';
export const MOUNTS_MOUNTED_PREFIX = 'mounted.';

/**
 * An fstab entry the next boot mounts but that is not mounted now: unmounted by hand,
 * or a mount that failed. `noauto` entries (mounted on demand, or by Pacemaker) and swap
 * are left alone; an automount shows as mounted (autofs). Entries are the `fstab.<mp>`
 * items carrying their `/etc/fstab:<line>` source (not the `.source` device items).
 */
export function mountsDivergences(node: string, facet: FacetSnapshot): RuntimeDivergence[] {
  if (facet.meta?.mounted !== 'mountinfo') return [];
  const out: RuntimeDivergence[] = [];
  for (const [key, item] of Object.entries(facet.items)) {
    if (!key.startsWith(MOUNTS_FSTAB_PREFIX) || item.source === undefined || key.includes('#')) continue;
    const [type = '', options = ''] = item.value.split(' ');
    if (type === 'swap' || options.split(',').some((o) => o === 'noauto')) continue;
    const mountPoint = key.slice(MOUNTS_FSTAB_PREFIX.length);
    if (Object.hasOwn(facet.items, `${MOUNTS_MOUNTED_PREFIX}${mountPoint}`)) continue;
    const device = facet.items[`${key}.source`]?.value;
    out.push({
      facet: 'mounts',
      key: mountPoint,
      node,
      detail: { running: null, configured: device === undefined ? type : `${device} ${type}`, source: item.source },
      severity: 'warning',
      consequence: 'the next boot mounts it, or stops in emergency mode if it cannot',
      absent: 'has it not mounted',
    });
  }
  return out;
}

function nodeDivergences(snapshot: NodeSnapshot): RuntimeDivergence[] {
  const { node, facets } = snapshot;
  const out: RuntimeDivergence[] = [];
  if (facets.sysctl?.status === 'ok') appendAll(out, sysctlDivergences(node, facets.sysctl));
  if (facets.corosync?.status === 'ok') appendAll(out, corosyncDivergences(node, facets.corosync));
  if (facets.services?.status === 'ok') appendAll(out, servicesDivergences(node, facets.services));
  if (facets.drbd?.status === 'ok') appendAll(out, drbdDivergences(node, facets.drbd));
  if (facets.mounts?.status === 'ok') appendAll(out, mountsDivergences(node, facets.mounts));
  return out;
}

function describe(d: RuntimeDivergence): string {
  const { running, configured, source } = d.detail;
  const where = source ?? 'the configuration';
  if (running === null) return `${d.node} ${d.absent ?? 'does not run it'}, ${where} sets ${showValue(configured)}`;
  if (configured === null) return `${d.node} runs ${showValue(running)}, ${where} no longer sets it`;
  return `${d.node} runs ${showValue(running)}, ${where} sets ${showValue(configured)}`;
}

/** One finding per (facet, key), naming every node whose running state departs from its files. */
export function runtimeFindings(ctx: EvalContext, reachable: readonly NodeSnapshot[]): Finding[] {
  const groups = new Map<string, RuntimeDivergence[]>();
  for (const snapshot of reachable) {
    for (const d of nodeDivergences(snapshot)) {
      const id = `${d.facet}\u0000${d.key}`;
      const list = groups.get(id) ?? [];
      list.push(d);
      groups.set(id, list);
    }
  }
  const findings: Finding[] = [];
  for (const list of groups.values()) {
    const [first] = list;
    if (!first) continue;
    const key = `${RUNTIME_KEY_PREFIX}${first.key}`;
    const values: Record<string, string | null> = {};
    const runtime: Record<string, RuntimeDetail> = {};
    let severity: Severity = 'info';
    for (const d of list) {
      values[d.node] = d.detail.running;
      runtime[d.node] = d.detail;
      severity = worse(severity, d.severity);
    }
    const f = finalizeFinding(ctx, {
      kind: 'runtime',
      facet: first.facet,
      key,
      values,
      majority: null,
      outliers: list.map((d) => d.node),
      message: `${itemLabel(first.facet, first.key)}: running state differs from the files on disk: ${list.map(describe).join('; ')} (${first.consequence})`,
      detail: { runtime },
      defaultSeverity: severity,
      effective: resolveRule(ctx.rules, first.facet, key),
    });
    if (f) findings.push(f);
  }
  return findings;
}
