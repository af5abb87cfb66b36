/**
 * Best-practice checks that relate several settings of one node's cluster stack, which a
 * single-key `expect:` cannot say: corosync's consensus against its token, two_node and
 * expected_votes against the nodelist, a fencing device for every node, the fencing
 * timeout against SBD's. Single-value practices (stonith-enabled, no-quorum-policy,
 * stickiness, package floors) are plain rules in rules/practice.yaml.
 *
 * Each check judges every node's own copy of the configuration, so a cluster where every
 * node is wrong the same way is still reported. Findings are keyed `practice:<check>`.
 * A check runs only when a rule names it (`match.key: practice:<check>`, or a pattern that
 * starts with `practice:`): practices are a site's choice, and the shipped pack that turns
 * them on gives each its severity, its source and a remediation.
 */
import { FENCING_OPTION_OLD_NAMES } from '../pacemaker-options.js';
import type { Finding, Severity } from '../findings.js';
import type { FacetName, FacetSnapshot, NodeSnapshot } from '../snapshot.js';
import { finalizeFinding, type EvalContext } from './build.js';
import { matchingRules, resolveRule, type CompiledRules } from './rules/compile.js';

export const PRACTICE_KEY_PREFIX = 'practice:';

export interface PracticeCheck {
  name: string;
  facet: FacetName;
  defaultSeverity: Severity;
  /** What the check asks, for the message. */
  expectation: string;
  /** The node's observed values when it breaks the practice, undefined when it keeps it or cannot tell. */
  judge: (facet: FacetSnapshot) => string | undefined;
}

/** corosync.conf(5): token defaults to 3000 ms in corosync 3 (1000 ms in corosync 2). */
const COROSYNC3_DEFAULT_TOKEN_MS = 3000;

function numberAt(facet: FacetSnapshot, key: string): number | undefined {
  const raw = facet.items[key]?.value;
  if (raw === undefined || raw.trim() === '') return undefined;
  const n = Number(raw.trim());
  return Number.isFinite(n) ? n : undefined;
}

/** Nodes of the corosync nodelist, each with its quorum votes (default 1). */
export function nodelistVotes(facet: FacetSnapshot): Map<string, number> {
  const votes = new Map<string, number>();
  for (const [key, item] of Object.entries(facet.items)) {
    const m = /^nodelist\.node\[([^\]]+)\]\.(\w+)$/.exec(key);
    if (!m || !m[1]) continue;
    if (!votes.has(m[1])) votes.set(m[1], 1);
    if (m[2] === 'quorum_votes') {
      const n = Number(item.value);
      votes.set(m[1], Number.isFinite(n) ? n : 1);
    }
  }
  return votes;
}

const consensusVsToken: PracticeCheck = {
  name: 'corosync-consensus-vs-token',
  facet: 'corosync',
  defaultSeverity: 'warning',
  expectation: 'totem.consensus at least 1.2 x totem.token (corosync.conf(5))',
  judge(facet) {
    const consensus = numberAt(facet, 'totem.consensus');
    if (consensus === undefined) return undefined; // unset: corosync derives 1.2 x token itself
    const token = numberAt(facet, 'totem.token') ?? COROSYNC3_DEFAULT_TOKEN_MS;
    return consensus >= 1.2 * token ? undefined : `token=${token} consensus=${consensus} (needs >= ${Math.ceil(1.2 * token)})`;
  },
};

const twoNode: PracticeCheck = {
  name: 'corosync-two-node',
  facet: 'corosync',
  defaultSeverity: 'critical',
  expectation: 'quorum.two_node: 1 exactly when the nodelist has two nodes (votequorum(5))',
  judge(facet) {
    const nodes = nodelistVotes(facet).size;
    if (nodes === 0) return undefined;
    const twoNodeOn = facet.items['quorum.two_node']?.value.trim() === '1';
    if (nodes === 2 && !twoNodeOn) return `nodelist has 2 nodes, two_node=${facet.items['quorum.two_node']?.value ?? '(unset)'}`;
    if (nodes !== 2 && twoNodeOn) return `nodelist has ${nodes} nodes, two_node=1`;
    return undefined;
  },
};

const expectedVotes: PracticeCheck = {
  name: 'corosync-expected-votes',
  facet: 'corosync',
  defaultSeverity: 'critical',
  expectation: 'quorum.expected_votes, when set, equal to the votes of the nodelist (votequorum(5))',
  judge(facet) {
    const expected = numberAt(facet, 'quorum.expected_votes');
    const votes = nodelistVotes(facet);
    if (expected === undefined || votes.size === 0) return undefined;
    const total = [...votes.values()].reduce((a, b) => a + b, 0);
    return expected === total ? undefined : `expected_votes=${expected}, nodelist votes=${total} (${votes.size} nodes)`;
  },
};

/** Pacemaker's booleans (crm_is_true): yes, true, on, y, 1, any case. */
export function pacemakerTrue(value: string): boolean {
  return ['yes', 'true', 'on', 'y', '1'].includes(value.trim().toLowerCase());
}

/**
 * A cluster option's effective value: the new name first, the old one only when it is
 * absent (FENCING_OPTION_OLD_NAMES, src/core/pacemaker-options.ts). The pacemaker collector
 * already stores the effective value under the new name; snapshots recorded before that
 * may hold only the old one.
 */
export function clusterOption(facet: FacetSnapshot, name: string): { value: string; name: string } | undefined {
  const current = facet.items[`property.${name}`];
  if (current !== undefined) return { value: current.value, name };
  const oldName = FENCING_OPTION_OLD_NAMES[name];
  const legacy = oldName === undefined ? undefined : facet.items[`property.${oldName}`];
  return legacy === undefined || oldName === undefined ? undefined : { value: legacy.value, name: oldName };
}

/** Host-list parameters of a fencing device: Pacemaker's own and cluster-glue's `hostlist`. */
const HOST_LIST_PARAMS = ['pcmk_host_list', 'hostlist'];

function stonithDevices(facet: FacetSnapshot): string[] {
  return Object.entries(facet.items)
    .filter(([key, item]) => /^resource\.[^.]+$/.test(key) && item.value.startsWith('stonith:'))
    .map(([key]) => key.slice('resource.'.length));
}

/** The nodes a device can fence by its static lists, or undefined when it asks the device (dynamic-list). */
function staticTargets(facet: FacetSnapshot, device: string): Set<string> | undefined {
  const targets = new Set<string>();
  let listed = false;
  for (const param of HOST_LIST_PARAMS) {
    const value = facet.items[`resource.${device}.param.${param}`]?.value;
    if (value === undefined) continue;
    listed = true;
    for (const host of value.split(/[\s,;]+/)) if (host) targets.add(host);
  }
  const map = facet.items[`resource.${device}.param.pcmk_host_map`]?.value;
  if (map !== undefined) {
    listed = true;
    for (const pair of map.split(/[\s,;]+/)) {
      const host = pair.split(':')[0];
      if (host) targets.add(host);
    }
  }
  const check = facet.items[`resource.${device}.param.pcmk_host_check`]?.value;
  if (check === 'dynamic-list' || check === 'none') return undefined;
  return listed ? targets : undefined;
}

const fencingPerNode: PracticeCheck = {
  name: 'pacemaker-fencing-per-node',
  facet: 'pacemaker',
  defaultSeverity: 'critical',
  expectation: 'with STONITH enabled, a fencing device that can fence every cluster node',
  judge(facet) {
    const enabled = clusterOption(facet, 'fencing-enabled')?.value;
    if (enabled !== undefined && !pacemakerTrue(enabled)) return undefined; // the stonith-enabled rule reports that
    const nodes = Object.keys(facet.items)
      .filter((k) => /^node\.[^.]+$/.test(k))
      .map((k) => k.slice('node.'.length));
    const devices = stonithDevices(facet);
    // Diskless SBD: every node fences itself through its watchdog, no device needed.
    const watchdog = clusterOption(facet, 'fencing-watchdog-timeout')?.value;
    if (devices.length === 0 && watchdog !== undefined && (durationSeconds(watchdog) ?? 0) !== 0) return undefined;
    if (devices.length === 0)
      return 'no fencing (stonith) device configured, no watchdog fencing (fencing-watchdog-timeout / stonith-watchdog-timeout)';
    const covered = new Set<string>();
    for (const device of devices) {
      const targets = staticTargets(facet, device);
      if (targets === undefined) return undefined; // the device is asked at fence time: cannot tell statically
      for (const t of targets) covered.add(t);
    }
    const uncovered = nodes.filter((n) => !covered.has(n));
    return uncovered.length === 0 ? undefined : `no fencing device lists ${uncovered.join(', ')} (devices: ${devices.join(', ')})`;
  },
};

/** Pacemaker durations (crm_get_msec): a number with ms, s, m/min or h; bare is seconds. */
export function durationSeconds(raw: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|msec|us|usec|s|sec|m|min|h|hr)?\s*$/i.exec(raw);
  if (!m || m[1] === undefined) return undefined;
  const n = Number(m[1]);
  const unit = (m[2] ?? 's').toLowerCase();
  const factor: Record<string, number> = { ms: 0.001, msec: 0.001, us: 1e-6, usec: 1e-6, s: 1, sec: 1, m: 60, min: 60, h: 3600, hr: 3600 };
  return n * (factor[unit] ?? 1);
}

/** Pacemaker's fencing-timeout (stonith-timeout) default: 60s in lib/common/options.c. */
const DEFAULT_STONITH_TIMEOUT_S = 60;

const sbdStonithTimeout: PracticeCheck = {
  name: 'sbd-stonith-timeout',
  facet: 'pacemaker',
  defaultSeverity: 'critical',
  expectation:
    'with disk SBD, fencing-timeout (stonith-timeout) at least 1.2 x msgwait; with diskless SBD, fencing-watchdog-timeout (stonith-watchdog-timeout) 2 x SBD_WATCHDOG_TIMEOUT',
  judge(facet) {
    const device = facet.items['sbd.SBD_DEVICE']?.value.trim();
    const watchdog = numberAt(facet, 'sbd.SBD_WATCHDOG_TIMEOUT');
    if (facet.items['sbd.SBD_WATCHDOG_TIMEOUT'] === undefined && device === undefined) return undefined; // no SBD here
    const timeout = clusterOption(facet, 'fencing-timeout');
    const stonithText =
      timeout === undefined ? `fencing-timeout=${DEFAULT_STONITH_TIMEOUT_S}s (default)` : `${timeout.name}=${timeout.value}`;
    const stonith = timeout === undefined ? DEFAULT_STONITH_TIMEOUT_S : durationSeconds(timeout.value);
    if (device) {
      const msgwait = numberAt(facet, 'sbd.msgwait');
      if (msgwait === undefined || stonith === undefined) return undefined;
      return stonith >= 1.2 * msgwait ? undefined : `${stonithText}, msgwait=${msgwait}s (needs >= ${Math.ceil(1.2 * msgwait)}s)`;
    }
    const swOption = clusterOption(facet, 'fencing-watchdog-timeout');
    const swText = swOption === undefined ? 'fencing-watchdog-timeout=(unset)' : `${swOption.name}=${swOption.value}`;
    const sw = swOption === undefined ? undefined : durationSeconds(swOption.value);
    const wd = watchdog ?? 5;
    if (sw === undefined || sw === 0) return `diskless SBD, ${swText} (needs ${2 * wd}s, 2 x SBD_WATCHDOG_TIMEOUT=${wd})`;
    if (sw < 2 * wd) return `${swText}, SBD_WATCHDOG_TIMEOUT=${wd} (needs >= ${2 * wd}s)`;
    if (stonith !== undefined && stonith <= sw) return `${stonithText} not above ${swText}`;
    return undefined;
  },
};

/** The same setting under both names: equal when Pacemaker would read them alike. */
function sameOptionValue(a: string, b: string): boolean {
  if (a.trim() === b.trim()) return true;
  const boolean = /^(yes|true|on|y|1|no|false|off|n|0)$/i;
  if (boolean.test(a.trim()) && boolean.test(b.trim())) return pacemakerTrue(a) === pacemakerTrue(b);
  const da = durationSeconds(a);
  const db = durationSeconds(b);
  return da !== undefined && da === db;
}

const fencingOptionNames: PracticeCheck = {
  name: 'pacemaker-fencing-option-names',
  facet: 'pacemaker',
  defaultSeverity: 'warning',
  expectation:
    'a fencing option set under one name only, or under both with the same value (Pacemaker 3 reads fencing-*, Pacemaker 2 only stonith-*)',
  judge(facet) {
    const disagree: string[] = [];
    for (const [name, oldName] of Object.entries(FENCING_OPTION_OLD_NAMES)) {
      const current = facet.items[`property.${name}`]?.value;
      const legacy = facet.items[`property.${oldName}`]?.value;
      if (current === undefined || legacy === undefined || sameOptionValue(current, legacy)) continue;
      disagree.push(`${name}=${current} but ${oldName}=${legacy} (Pacemaker 3 uses ${current})`);
    }
    return disagree.length === 0 ? undefined : disagree.join('; ');
  },
};

export const PRACTICE_CHECKS: readonly PracticeCheck[] = [
  consensusVsToken,
  twoNode,
  expectedVotes,
  fencingPerNode,
  sbdStonithTimeout,
  fencingOptionNames,
];

/** A rule written for practice findings, not a facet-wide rule that happens to match them. */
export function isPracticeEnabled(rules: CompiledRules, check: PracticeCheck): boolean {
  const key = `${PRACTICE_KEY_PREFIX}${check.name}`;
  return matchingRules(rules, check.facet, key).some(
    (r) => r.key.startsWith(PRACTICE_KEY_PREFIX) || r.key.startsWith(`/^${PRACTICE_KEY_PREFIX}`),
  );
}

export function practiceFindings(ctx: EvalContext, reachable: readonly NodeSnapshot[]): Finding[] {
  const findings: Finding[] = [];
  for (const check of PRACTICE_CHECKS) {
    if (!isPracticeEnabled(ctx.rules, check)) continue;
    const values: Record<string, string | null> = {};
    const breaking: string[] = [];
    for (const snapshot of reachable) {
      const facet = snapshot.facets[check.facet];
      if (facet?.status !== 'ok') continue;
      const observed = check.judge(facet);
      if (observed === undefined) continue;
      values[snapshot.node] = observed;
      breaking.push(snapshot.node);
    }
    if (breaking.length === 0) continue;
    const key = `${PRACTICE_KEY_PREFIX}${check.name}`;
    const f = finalizeFinding(ctx, {
      kind: 'practice',
      facet: check.facet,
      key,
      values,
      majority: null,
      outliers: breaking,
      message: `${check.name}: expected ${check.expectation}; ${breaking.map((n) => `${n}: ${values[n]}`).join('; ')}`,
      defaultSeverity: check.defaultSeverity,
      effective: resolveRule(ctx.rules, check.facet, key),
    });
    if (f) findings.push(f);
  }
  return findings;
}
