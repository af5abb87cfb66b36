/**
 * One problem, one finding. The checks each see one face of a change: a changed `token:`
 * in corosync.conf is the key itself, the running daemon's derived timeouts, the file's
 * digest in the corosync facet and the same file in the files facet. This pass, run last
 * on a cluster's findings, keeps one headline per problem and attaches the findings that
 * follow from it as its `evidence` (each keeps its own id, kind, values and detail).
 *
 * The headlines are what the summary, the readiness score, `driftd_findings` and the
 * alerts count, so derived noise moves none of them. A headline keeps its own id (stable
 * across runs) and takes the worst severity of its group.
 *
 * Groups, in the order they are formed:
 * 1. an `expect:` finding and the drift finding on the same key: one problem, and the
 *    rule (not the majority) says which nodes are wrong;
 * 2. corosync: the running daemon's values (`runtime.*`, `runtime:*`) under the
 *    corosync.conf key that caused them;
 * 3. sysctl: the live value, the files' value (`configured.*`) and the runtime check
 *    (`runtime:*`) of one key;
 * 4. raw files (the files facet, the corosync.conf digest) under the parsed finding they
 *    explain; a raw difference with no parsed difference is cosmetic (info);
 * 5. resource agents missing because their package is missing, under the package;
 * 6. one package upgrade: packages whose versions and behind-nodes are identical (the
 *    binaries of one source package, upgraded together);
 * 7. the per-key findings of one CIB resource.
 */
import type { Finding, Severity } from '../findings.js';
import type { NodeSnapshot } from '../snapshot.js';
import { canonicalConfig, configKindOf, sysctlSettings, type ConfigKind } from './config-text.js';
import { agentProvider, packageName } from './preconditions.js';
import { itemLabel, showValue } from './peer-diff.js';

const SEVERITY_RANK: Record<Severity, number> = { info: 0, warning: 1, critical: 2 };

const COROSYNC_FILE_PREFIX = 'file:';
const RUNTIME_CHECK_PREFIX = 'runtime:';
const CONFIGURED_PREFIX = 'configured.';

export function groupRootCauses(findings: readonly Finding[], snapshots: readonly NodeSnapshot[]): Finding[] {
  const heads = new Heads(findings);
  mergeExpectations(heads);
  groupCorosyncRuntime(heads);
  groupSysctl(heads);
  groupLinkMtu(heads);
  groupFiles(heads, snapshots);
  groupAgents(heads);
  groupPackageUpgrades(heads);
  groupResources(heads);
  return heads.list();
}

/** The findings still standing as headlines, and the attaching of one to another. */
class Heads {
  private readonly items: Finding[];
  private readonly gone = new Set<Finding>();

  constructor(findings: readonly Finding[]) {
    this.items = findings.map((f) => ({ ...f }));
  }

  list(): Finding[] {
    return this.items.filter((f) => !this.gone.has(f));
  }

  where(pred: (f: Finding) => boolean): Finding[] {
    return this.list().filter(pred);
  }

  /** Moves `child` (and whatever it carried) under `root`; the root takes the worse severity. */
  attach(root: Finding, child: Finding): void {
    if (root === child || this.gone.has(child)) return;
    const { evidence: carried, ...plain } = child;
    root.evidence = [...(root.evidence ?? []), plain, ...(carried ?? [])];
    if (!child.waived && SEVERITY_RANK[child.severity] > SEVERITY_RANK[root.severity]) {
      root.severity = child.severity;
      root.rule = child.rule;
    }
    this.gone.add(child);
  }
}

function isDrift(f: Finding): boolean {
  return f.kind === 'mismatch' || f.kind === 'missing';
}

/** A difference between nodes: drift itself, or an expectation headline that absorbed one. */
function isChange(f: Finding): boolean {
  return isDrift(f) || (f.kind === 'expectation' && (f.evidence ?? []).some(isDrift));
}

/**
 * 1. A drift finding and an `expect:` finding on one key are one problem. When some nodes
 * keep the rule, the rule decides: the nodes that break it are the ones to fix, whatever
 * the majority says. When no node keeps it, the majority still decides the drift and the
 * headline says that every node breaks the rule.
 */
function mergeExpectations(heads: Heads): void {
  for (const practice of heads.where((f) => f.kind === 'practice')) sayUnanimousPractice(practice);
  for (const expectation of heads.where((f) => f.kind === 'expectation')) {
    const drift = heads.where((f) => isDrift(f) && f.facet === expectation.facet && f.key === expectation.key)[0];
    if (!drift) {
      sayUnanimous(expectation);
      continue;
    }
    const violating = new Set(expectation.outliers);
    const label = itemLabel(expectation.facet, expectation.key);
    const reason = expectationReason(expectation);
    // A node without the key neither keeps nor breaks a value rule; it keeps `absent`.
    const keepsWhenAbsent = reason === 'expects it unset';
    const compliant = Object.keys(drift.values).filter((n) => !violating.has(n) && (drift.values[n] !== null || keepsWhenAbsent));
    if (compliant.length === 0) {
      drift.message += `; no node keeps rule ${expectRule(expectation)} (${reason})`;
      if (expectation.remediation !== undefined) drift.remediation = expectation.remediation;
      if (expectation.source !== undefined) drift.source = expectation.source;
      heads.attach(drift, expectation);
      continue;
    }
    // The rule decides: the expectation is the headline, the drift its evidence.
    const good = [...new Set(compliant.map((n) => drift.values[n] ?? null))];
    expectation.values = { ...drift.values, ...expectation.values };
    expectation.majority = good.length === 1 ? (good[0] ?? null) : null;
    const who = expectation.outliers.map((n) => `${n} has ${showValue(expectation.values[n])}`).join(', ');
    const right = compliant.map((n) => `${n} has ${showValue(drift.values[n])}`).join(', ');
    expectation.message = `${label}: ${who}; rule ${expectRule(expectation)} ${reason} (${right}): fix ${expectation.outliers.join(', ')}`;
    if (expectation.remediation === undefined && drift.remediation !== undefined) expectation.remediation = drift.remediation;
    heads.attach(expectation, drift);
  }
}

/** The rule that holds the `expect:`, as the expectation's message names it. */
function expectRule(f: Finding): string {
  return /\(rule ([^)]+)\)/.exec(f.message)?.[1] ?? f.rule ?? '(expect)';
}

/** `expected at least 5000` from an expectation message `label: expected ... (rule x); ...`. */
function expectationReason(f: Finding): string {
  const m = /: ((?:expected|every node)[^(;]*?)\s*(?:\(rule [^)]*\))?(?:;|$)/.exec(f.message);
  const text = m?.[1] ?? 'expects another value';
  if (text === 'expected present') return 'expects it to be set';
  if (text === 'expected absent') return 'expects it unset';
  return text.startsWith('expected ') ? `expects ${text.slice('expected '.length)}` : text;
}

/** Every node breaks the rule with one value: say so, it is a setting to change once. */
function sayUnanimous(f: Finding): void {
  const nodes = Object.keys(f.values);
  const values = [...new Set(Object.values(f.values))];
  if (nodes.length < 2 || f.outliers.length !== nodes.length || values.length !== 1) return;
  const label = itemLabel(f.facet, f.key);
  const has = values[0] === null || values[0] === undefined ? 'no node sets it' : `every node has ${showValue(values[0])}`;
  f.message = `${label}: ${has}; rule ${expectRule(f)} ${expectationReason(f)} (the nodes agree: change it once for the whole cluster)`;
}

/**
 * A `practice:` check broken the same way on every node: `check: expected X; a: v; b: v`
 * becomes `check: expected X (every node: v; the nodes agree: ...)`.
 */
function sayUnanimousPractice(f: Finding): void {
  const nodes = Object.keys(f.values);
  const values = [...new Set(Object.values(f.values))];
  if (nodes.length < 2 || f.outliers.length !== nodes.length || values.length !== 1 || values[0] === null || values[0] === undefined)
    return;
  const perNode = `; ${nodes.map((n) => `${n}: ${f.values[n] ?? ''}`).join('; ')}`;
  if (!f.message.endsWith(perNode)) return;
  f.message = `${f.message.slice(0, -perNode.length)} (every node: ${values[0]}; the nodes agree: change it once for the whole cluster)`;
}

/** corosync.conf keys, as opposed to the daemon's cmap view, the raw digest, checks. */
function isCorosyncConfKey(key: string): boolean {
  return !/^(runtime\.|runtime:|file:|daemon:|practice:|agent:)/.test(key) && key !== '*';
}

/** `runtime.runtime.config.totem.token`, `runtime.totem.token`, `runtime:totem.token` -> `totem.token`. */
function corosyncBaseKey(key: string): string {
  if (key.startsWith(RUNTIME_CHECK_PREFIX)) return key.slice(RUNTIME_CHECK_PREFIX.length);
  return key.replace(/^runtime\.(runtime\.config\.)?/, '');
}

/**
 * 2. The daemon derives consensus, hold, token_retransmit and knet timeouts from the
 * token: a changed token shows up in half a dozen cmap keys. They go under the
 * corosync.conf finding with the same key, else one in the same section, else the first.
 * With no corosync.conf difference at all, the runtime findings go under the first of them.
 */
function groupCorosyncRuntime(heads: Heads): void {
  const corosync = heads.where((f) => f.facet === 'corosync');
  const conf = corosync.filter((f) => isCorosyncConfKey(f.key) && isChange(f));
  const derived = corosync.filter((f) => f.key.startsWith('runtime.') || (f.kind === 'runtime' && f.key.startsWith(RUNTIME_CHECK_PREFIX)));
  if (derived.length === 0) return;
  if (conf.length === 0) {
    const [first, ...rest] = [...derived].sort((a, b) => rootPreference(a) - rootPreference(b));
    if (first) for (const f of rest) heads.attach(first, f);
    return;
  }
  for (const f of derived) {
    const base = corosyncBaseKey(f.key);
    const section = base.split('.')[0];
    const root =
      conf.find((c) => c.key === base) ??
      conf.find((c) => c.key.split('.')[0] === section) ??
      conf.find((c) => c.key.startsWith('totem.')) ??
      conf[0];
    if (root) heads.attach(root, f);
  }
}

/** The running daemon's own key first, then its derived config view, then the runtime check. */
function rootPreference(f: Finding): number {
  if (f.key.startsWith('runtime.totem.') || (f.key.startsWith('runtime.') && !f.key.startsWith('runtime.runtime.'))) return 0;
  if (f.key.startsWith('runtime.runtime.')) return 1;
  return 2;
}

function sysctlBaseKey(key: string): string {
  if (key.startsWith(CONFIGURED_PREFIX)) return key.slice(CONFIGURED_PREFIX.length);
  if (key.startsWith(RUNTIME_CHECK_PREFIX)) return key.slice(RUNTIME_CHECK_PREFIX.length);
  return key;
}

/** 3. The faces of one sysctl key: live value first, then the runtime check, then the files' value. */
function groupSysctl(heads: Heads): void {
  const byKey = new Map<string, Finding[]>();
  for (const f of heads.where((x) => x.facet === 'sysctl' && x.key !== '*')) {
    const base = sysctlBaseKey(f.key);
    byKey.set(base, [...(byKey.get(base) ?? []), f]);
  }
  const rank = (f: Finding): number => (f.key.startsWith(CONFIGURED_PREFIX) ? 2 : f.key.startsWith(RUNTIME_CHECK_PREFIX) ? 1 : 0);
  for (const group of byKey.values()) {
    const [root, ...rest] = [...group].sort((a, b) => rank(a) - rank(b));
    if (root) for (const f of rest) heads.attach(root, f);
  }
}

/**
 * A NIC's MTU and the kernel's IPv6 MTU of that interface (`net.ipv6.conf.<if>.mtu`, which
 * the kernel sets along with the link MTU) are one change: the sysctl finding becomes the
 * link finding's evidence when it names the same nodes. A sysctl that differs on its own
 * (set by hand below the link MTU) stays a finding.
 */
function groupLinkMtu(heads: Heads): void {
  for (const link of heads.where((f) => f.facet === 'network' && isChange(f) && /^link\..+\.mtu$/.test(f.key))) {
    const iface = link.key.slice('link.'.length, -'.mtu'.length);
    // sysctl names write an interface's dots (VLAN eth0.100) as slashes.
    const key = `net.ipv6.conf.${iface.replaceAll('.', '/')}.mtu`;
    const outliers = [...link.outliers].sort().join(',');
    for (const f of heads.where(
      (x) => x.facet === 'sysctl' && isChange(x) && x.key === key && [...x.outliers].sort().join(',') === outliers,
    )) {
      heads.attach(link, f);
    }
  }
}

/** The raw face of a file: a files-facet entry, or the corosync facet's digest of corosync.conf. */
function rawFilePath(f: Finding): string | undefined {
  if (f.facet === 'files' && (f.kind === 'mismatch' || f.kind === 'missing')) return f.key;
  if (f.facet === 'corosync' && f.key.startsWith(COROSYNC_FILE_PREFIX)) return f.key.slice(COROSYNC_FILE_PREFIX.length);
  return undefined;
}

/** Per node, the file's text where it was kept; null where the file is absent. */
function contents(f: Finding, path: string, snapshots: readonly NodeSnapshot[]): Map<string, string | null | undefined> {
  const out = new Map<string, string | null | undefined>();
  for (const node of Object.keys(f.values)) {
    const s = snapshots.find((x) => x.node === node);
    const facet = f.facet === 'files' ? s?.facets.files : s?.facets.corosync;
    const key = f.facet === 'files' ? path : `${COROSYNC_FILE_PREFIX}${path}`;
    const item = facet?.status === 'ok' || facet?.status === 'truncated' ? facet.items[key] : undefined;
    out.set(node, f.values[node] === null || f.values[node] === 'absent' ? null : item?.content);
  }
  return out;
}

/** Mode, owner and group of a files-facet value; the digest and size left out. */
function metadataOf(value: string | null): string | null {
  return value === null ? null : value.replace(/\b(sha256|size)=\S+\s*/g, '').trim();
}

/**
 * True when every node has the file, its metadata agree, and the texts read the same
 * once comments, whitespace, line ends and order are set aside.
 */
function isCosmetic(f: Finding, kind: ConfigKind, texts: Map<string, string | null | undefined>): boolean {
  if (f.facet === 'files') {
    const meta = new Set(Object.values(f.values).map(metadataOf));
    if (meta.size !== 1 || meta.has(null)) return false;
  }
  const forms = new Set<string>();
  for (const text of texts.values()) {
    if (typeof text !== 'string') return false;
    forms.add(canonicalConfig(kind, text));
  }
  return forms.size === 1;
}

/** Keys a sysctl.d file sets differently between its versions on the nodes. */
function changedSysctlKeys(texts: Map<string, string | null | undefined>): Set<string> {
  const maps = [...texts.values()].map((t) => (typeof t === 'string' ? sysctlSettings(t) : new Map<string, string>()));
  const keys = new Set(maps.flatMap((m) => [...m.keys()]));
  return new Set([...keys].filter((k) => new Set(maps.map((m) => m.get(k) ?? null)).size > 1));
}

/**
 * 4. A raw file difference is explained by the parsed finding of the facet that reads the
 * file (corosync.conf -> corosync keys, sysctl.d -> the sysctl keys it sets, DRBD config
 * -> drbd, cib.xml -> pacemaker). With no parsed difference, it is cosmetic when the
 * texts read the same (or, for DRBD and the CIB, when their facet shows no drift on any
 * node): an info finding that keeps the diff.
 */
function groupFiles(heads: Heads, snapshots: readonly NodeSnapshot[]): void {
  const rawByPath = new Map<string, Finding[]>();
  for (const f of heads.list()) {
    const path = rawFilePath(f);
    if (path !== undefined) rawByPath.set(path, [...(rawByPath.get(path) ?? []), f]);
  }
  for (const [path, raws] of rawByPath) {
    const kind = configKindOf(path);
    const isCib = /(^|\/)cib\.xml$/.test(path);
    if (kind === undefined && !isCib) continue;
    // The corosync facet's digest first: it is the file the corosync facet parsed.
    const ordered = [...raws].sort((a, b) => Number(a.facet === 'files') - Number(b.facet === 'files'));
    const root = explainingFinding(heads, kind, isCib, ordered, snapshots);
    if (root) {
      for (const f of ordered) heads.attach(root, f);
      continue;
    }
    const [first, ...rest] = ordered;
    if (!first) continue;
    const cosmetic =
      kind !== undefined
        ? ordered.every((f) => isCosmetic(f, kind, contents(f, path, snapshots)))
        : parsedFacetAgrees(heads, 'pacemaker', Object.keys(first.values), snapshots);
    if (cosmetic) {
      first.severity = 'info';
      first.rule = null;
      first.message = `${path}: cosmetic difference only on ${first.outliers.join(', ')} (comments, blank lines, indentation, order or line ends); the settings ${kind === undefined ? 'driftd parses' : `${kind} reads`} agree on every node`;
    }
    for (const f of rest) {
      if (cosmetic) f.severity = 'info';
      heads.attach(first, f);
    }
    if (cosmetic) {
      first.severity = 'info';
      first.rule = null;
    }
  }
}

function explainingFinding(
  heads: Heads,
  kind: ConfigKind | undefined,
  isCib: boolean,
  raws: readonly Finding[],
  snapshots: readonly NodeSnapshot[],
): Finding | undefined {
  // Any parsed difference of the file explains its digest, whichever nodes the rules
  // then say to fix (the raw outliers are the majority's, the parsed ones may be the rule's).
  if (kind === 'corosync') {
    return heads.where((f) => f.facet === 'corosync' && isCorosyncConfKey(f.key) && isChange(f))[0];
  }
  if (kind === 'sysctl') {
    const first = raws[0];
    if (!first) return undefined;
    const changed = changedSysctlKeys(contents(first, first.key, snapshots));
    return heads.where((f) => f.facet === 'sysctl' && changed.has(sysctlBaseKey(f.key)))[0];
  }
  if (kind === 'drbd') {
    return heads.where((f) => f.facet === 'drbd' && isChange(f) && !/^(version\.|runtime\.)/.test(f.key) && f.key !== '*')[0];
  }
  if (kind === 'multipath') {
    return heads.where((f) => f.facet === 'multipath' && isChange(f) && f.key.startsWith('conf.'))[0];
  }
  if (isCib) {
    return heads.where((f) => f.facet === 'pacemaker' && isChange(f) && !/^(agent:|practice:)/.test(f.key) && f.key !== '*')[0];
  }
  return undefined;
}

/** The facet that parses the file was read on every node and shows no drift there. */
function parsedFacetAgrees(heads: Heads, facet: 'pacemaker', nodes: readonly string[], snapshots: readonly NodeSnapshot[]): boolean {
  const read = nodes.every((n) => snapshots.find((s) => s.node === n)?.facets[facet]?.status === 'ok');
  return read && heads.where((f) => f.facet === facet && isDrift(f) && !/^(agent:|practice:)/.test(f.key)).length === 0;
}

/** 5. `agent:<agent>` preconditions under the missing package that ships the agent. */
function groupAgents(heads: Heads): void {
  const attached = new Map<Finding, string[]>();
  for (const f of heads.where((x) => x.kind === 'precondition' && x.key.startsWith('agent:'))) {
    const agent = f.key.slice('agent:'.length);
    const provider = agentProvider(agent);
    if (!provider) continue;
    const pkg = heads.where(
      (p) =>
        p.facet === 'packages' &&
        p.kind === 'missing' &&
        provider.isProvidingPackage(packageName(p.key)) &&
        f.outliers.every((n) => p.outliers.includes(n)),
    )[0];
    if (!pkg) continue;
    heads.attach(pkg, f);
    pkg.severity = worse(pkg.severity, f.severity);
    attached.set(pkg, [...(attached.get(pkg) ?? []), agent]);
  }
  for (const [pkg, agents] of attached) {
    pkg.kind = 'precondition';
    const missing = Object.keys(pkg.values).filter((n) => pkg.values[n] === null);
    const where = missing.length > 0 ? missing : pkg.outliers;
    pkg.message = `package ${pkg.key} is missing on ${where.join(', ')}, so the CIB's ${agents.join(', ')} cannot run there: install ${pkg.key} on ${where.join(', ')}`;
  }
}

function worse(a: Severity, b: Severity): Severity {
  return SEVERITY_RANK[a] >= SEVERITY_RANK[b] ? a : b;
}

/**
 * 6. One upgrade: packages (openssl and libssl3) with the same versions on every node and
 * the same nodes behind come from one source package and one `apt upgrade`. The packages
 * facet carries no source-package field, so identical versions and behind-nodes are what
 * ties them together.
 */
function groupPackageUpgrades(heads: Heads): void {
  const bySignature = new Map<string, Finding[]>();
  for (const f of heads.where((x) => x.facet === 'packages' && x.kind === 'mismatch' && (x.detail?.behind?.length ?? 0) > 0)) {
    // The outliers are in the signature: an open window may have directed one package
    // (pinned to an older build) and not its sibling, and those are not one change.
    const sig = JSON.stringify([Object.entries(f.values), f.detail?.behind, [...f.outliers].sort(), f.waived]);
    bySignature.set(sig, [...(bySignature.get(sig) ?? []), f]);
  }
  for (const group of bySignature.values()) {
    if (group.length < 2) continue;
    // The package named like the source (openssl) rather than a library it builds (libssl3).
    const libraryLast = (f: Finding): number => Number(/^lib/.test(f.key));
    const [root, ...rest] = [...group].sort(
      (a, b) => libraryLast(a) - libraryLast(b) || a.key.length - b.key.length || (a.key < b.key ? -1 : 1),
    );
    if (!root) continue;
    for (const f of rest) heads.attach(root, f);
    const names = [root.key, ...rest.map((f) => f.key)].join(', ');
    const behind = root.detail?.behind ?? [];
    if (!sameNodes(behind, root.outliers)) {
      // Something other than the version order chose the nodes to fix (an open window
      // pinning an older build): its message names them; "upgrade the behind nodes" would
      // point at the nodes that are right.
      const label = `${itemLabel('packages', root.key)}: `;
      const said = root.message.startsWith(label) ? root.message.slice(label.length) : root.message;
      root.message = `packages ${names} (one change): ${said}`;
      continue;
    }
    const old = [...new Set(behind.map((n) => root.values[n]))].join(', ');
    root.message = `packages ${names} (one upgrade): ${behind.join(', ')} ${behind.length === 1 ? 'is' : 'are'} behind (${old} < ${root.detail?.newest ?? '?'}): upgrade them together on ${behind.join(', ')}`;
  }
}

function sameNodes(a: readonly string[], b: readonly string[]): boolean {
  const set = new Set(a);
  return a.length === b.length && b.every((n) => set.has(n));
}

/** 7. The per-key findings of one CIB resource (`resource.<id>.param.x`, `.meta.y`) as one. */
function groupResources(heads: Heads): void {
  const byResource = new Map<string, Finding[]>();
  for (const f of heads.where((x) => x.facet === 'pacemaker' && isChange(x))) {
    const m = /^resource\.([^.]+)(\.|$)/.exec(f.key);
    if (!m?.[1]) continue;
    byResource.set(m[1], [...(byResource.get(m[1]) ?? []), f]);
  }
  for (const [id, group] of byResource) {
    if (group.length < 2) continue;
    const [root, ...rest] = [...group].sort((a, b) => a.key.length - b.key.length || (a.key < b.key ? -1 : 1));
    if (!root) continue;
    for (const f of rest) heads.attach(root, f);
    const keys = group.map((f) => f.key.slice(`resource.${id}.`.length) || '(agent)').join(', ');
    const nodes = [...new Set(group.flatMap((f) => f.outliers))];
    root.message = `pacemaker resource ${id} differs on ${nodes.join(', ')} in ${group.length} settings (${keys}); ${root.message}`;
  }
}
