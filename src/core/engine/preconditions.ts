/**
 * Preconditions for a failover to work at all, as opposed to drift between peers:
 * - every resource and fence agent the Pacemaker configuration references is installed
 *   on every node (a standby without `fence_ipmilan` cannot fence, without
 *   `resource-agents` cannot start the IP);
 * - DRBD kernel module and userland versions agree across nodes (replication between
 *   mismatched module versions may refuse to connect);
 * - no node waits for a reboot into a kernel it has installed but is not running.
 */
import type { Finding, RuntimeDetail } from '../findings.js';
import type { FacetSnapshot, NodeSnapshot } from '../snapshot.js';
import { finalizeFinding, type EvalContext } from './build.js';
import { resolveRule } from './rules/compile.js';
import { UNFINISHED_META_PREFIX } from '../package-states.js';
import { agentListing, agentPresence, agentsOfItems } from '../agent-presence.js';

const DRBD_VERSION_KEYS: Record<string, string> = {
  'version.kernel': 'DRBD kernel module versions differ across nodes',
  'version.userland': 'DRBD userland (drbd-utils) versions differ across nodes',
};

/** Keys the peer diff reports as preconditions instead of plain drift, with a lead-in. */
export function preconditionKindFor(facet: string, key: string): string | undefined {
  return facet === 'drbd' ? DRBD_VERSION_KEYS[key] : undefined;
}

/** Keys the peer diff leaves alone because a precondition below reports them. */
export function isHandledAsPrecondition(facet: string, key: string): boolean {
  return facet === 'kernel' && key === 'reboot_required';
}

/** Agents (`ocf:heartbeat:IPaddr2`, `stonith:fence_ipmilan`) referenced by any node's CIB. */
export function referencedAgents(pacemakerFacets: readonly FacetSnapshot[]): string[] {
  const agents = new Set<string>();
  for (const facet of pacemakerFacets) for (const agent of agentsOfItems(facet.items)) agents.add(agent);
  return [...agents].sort();
}

export interface AgentProvider {
  /** True for a package name (arch suffix already stripped) that ships the agent. */
  isProvidingPackage: (name: string) => boolean;
  /** The agent's own executable, accepted as proof when the files facet collected it. */
  path: string;
  packagesText: string;
}

/**
 * Where an agent comes from, on Debian and RHEL alike:
 * - `ocf:heartbeat:*`  -> resource-agents (or a split resource-agents-* package)
 * - `ocf:pacemaker:*`  -> pacemaker (RHEL) or pacemaker-resource-agents (Debian)
 * - `ocf:linbit:drbd`  -> drbd-utils
 * - other `ocf:<provider>:<type>` -> none: no package we can name ships it (the node's
 *   agent listing still judges it).
 * - `stonith:fence_<x>` -> fence-agents, fence-agents-all or fence-agents-<x>; or /usr/sbin/fence_<x>
 * - systemd:, lsb:, service: -> none: a unit name does not say which package ships it
 *   (judged from the node's agent listing).
 * In every ocf case the agent file itself, if the files facet collected it, also counts.
 */
export function agentProvider(agent: string): AgentProvider | undefined {
  const parts = agent.split(':');
  if (parts[0] === 'ocf' && parts.length === 3) {
    const [, provider = '', type = ''] = parts;
    const path = `/usr/lib/ocf/resource.d/${provider}/${type}`;
    if (provider === 'heartbeat') {
      return {
        isProvidingPackage: (n) => n === 'resource-agents' || n.startsWith('resource-agents-'),
        path,
        packagesText: 'resource-agents',
      };
    }
    if (provider === 'pacemaker') {
      return {
        isProvidingPackage: (n) => n === 'pacemaker' || n === 'pacemaker-resource-agents',
        path,
        packagesText: 'pacemaker or pacemaker-resource-agents',
      };
    }
    if (provider === 'linbit' && type === 'drbd') {
      return { isProvidingPackage: (n) => n === 'drbd-utils', path, packagesText: 'drbd-utils' };
    }
    return undefined;
  }
  if (parts[0] === 'stonith' && parts.length === 2 && parts[1]?.startsWith('fence_')) {
    const type = parts[1];
    const suffix = type.slice('fence_'.length);
    const names = new Set(['fence-agents', 'fence-agents-all', `fence-agents-${suffix}`]);
    return { isProvidingPackage: (n) => names.has(n), path: `/usr/sbin/${type}`, packagesText: `fence-agents or fence-agents-${suffix}` };
  }
  return undefined;
}

const RPM_ARCH_SUFFIX = /\.(x86_64|i[3-6]86|noarch|aarch64|ppc64le|ppc64|s390x|armv7hl)$/;

/**
 * `libc6:amd64` -> `libc6`, `glibc.i686` -> `glibc`: the packages collector keys a
 * package installed for several architectures with its architecture.
 */
export function packageName(key: string): string {
  const colon = key.indexOf(':');
  return colon < 0 ? key.replace(RPM_ARCH_SUFFIX, '') : key.slice(0, colon);
}

/**
 * Every agent the CIB references must exist on every node. Judged on the node itself
 * when the pacemaker facet carries the agent listing (any OCF provider, fence and
 * cluster-glue agents, LSB scripts, systemd units: see src/collectors/pacemaker-agents.ts);
 * from the providing package (or the agent file in the files facet) for recordings
 * without it. A node that cannot tell either way is left out, never claimed to lack it.
 */
export function agentPreconditions(ctx: EvalContext, reachable: readonly NodeSnapshot[]): Finding[] {
  const pacemaker = reachable.map((s) => s.facets.pacemaker).filter((f): f is FacetSnapshot => f?.status === 'ok');
  const findings: Finding[] = [];
  const listings = new Map(reachable.map((s) => [s.node, agentListing(s.facets.pacemaker?.meta)]));
  for (const agent of referencedAgents(pacemaker)) {
    const provider = agentProvider(agent);
    const values: Record<string, string | null> = {};
    const missing: string[] = [];
    for (const snapshot of reachable) {
      const listing = listings.get(snapshot.node);
      const onNode = listing ? agentPresence(agent, listing) : undefined;
      const evidence = onNode !== undefined ? onNode : provider ? installedEvidence(snapshot, provider) : undefined;
      if (evidence === undefined) continue; // the node's facets cannot tell
      values[snapshot.node] = evidence;
      if (evidence === null) missing.push(snapshot.node);
    }
    if (missing.length === 0) continue;
    const key = `agent:${agent}`;
    const f = finalizeFinding(ctx, {
      kind: 'precondition',
      facet: 'pacemaker',
      key,
      values,
      majority: null,
      outliers: missing,
      message: `resource agent ${agent} is referenced by the CIB but not installed on ${missing.join(', ')} (${provider ? `needs ${provider.packagesText}` : whereItLives(agent)})`,
      defaultSeverity: 'critical',
      effective: resolveRule(ctx.rules, 'pacemaker', key),
    });
    if (f) findings.push(f);
  }
  return findings;
}

/**
 * `name version` or the agent's path when installed, null when the packages facet shows
 * no providing package, undefined when this node's facets cannot tell.
 */
function installedEvidence(snapshot: NodeSnapshot, provider: AgentProvider): string | null | undefined {
  const files = snapshot.facets.files;
  if (files?.status === 'ok' && files.items[provider.path]) return provider.path;
  const packages = snapshot.facets.packages;
  if (packages?.status !== 'ok') return undefined;
  for (const [key, item] of Object.entries(packages.items)) {
    if (provider.isProvidingPackage(packageName(key))) return `${key} ${item.value}`;
  }
  return null;
}

/** Where an agent no package can be named for must be put, for the message. */
function whereItLives(agent: string): string {
  const [cls, second = '', third = ''] = agent.split(':');
  if (cls === 'ocf') return `needs the executable /usr/lib/ocf/resource.d/${second}/${third}, installed as on the other nodes`;
  if (cls === 'lsb') return `needs the executable /etc/init.d/${second}`;
  if (cls === 'systemd' || cls === 'service')
    return `needs the unit ${second.includes('.') ? second : `${second}.service`}${cls === 'service' ? ' or /etc/init.d/' + second : ''}`;
  if (cls === 'stonith') return `needs the fence agent ${second}`;
  return 'needs the agent installed as on the other nodes';
}

export function rebootPreconditions(ctx: EvalContext, reachable: readonly NodeSnapshot[]): Finding[] {
  const values: Record<string, string | null> = {};
  const pending: string[] = [];
  const runtime: Record<string, RuntimeDetail> = {};
  for (const snapshot of reachable) {
    const kernel = snapshot.facets.kernel;
    if (kernel?.status !== 'ok') continue;
    const flag = kernel.items['reboot_required']?.value ?? null;
    values[snapshot.node] = flag;
    if (flag !== 'true') continue;
    pending.push(snapshot.node);
    const newest = kernel.items['newest_installed']?.value ?? null;
    const detail: RuntimeDetail = { running: kernel.items['release']?.value ?? null, configured: newest };
    if (newest !== null) detail.source = `/boot/vmlinuz-${newest}`;
    runtime[snapshot.node] = detail;
  }
  if (pending.length === 0) return [];
  const f = finalizeFinding(ctx, {
    kind: 'precondition',
    facet: 'kernel',
    key: 'reboot_required',
    values,
    majority: null,
    outliers: pending,
    message: `reboot required on ${pending.join(', ')}: an installed kernel or library update is not active until the node reboots${describeKernels(runtime)}`,
    detail: { runtime },
    defaultSeverity: 'critical',
    effective: resolveRule(ctx.rules, 'kernel', 'reboot_required'),
  });
  return f ? [f] : [];
}

function describeKernels(runtime: Record<string, RuntimeDetail>): string {
  const parts = Object.entries(runtime)
    .filter(([, d]) => d.running !== null && d.configured !== null)
    .map(([node, d]) => `${node} runs ${d.running}, would boot ${d.configured}`);
  return parts.length > 0 ? ` (${parts.join('; ')})` : '';
}

/**
 * dpkg states of a package on disk whose install or upgrade did not finish (unpacked,
 * half-configured, half-installed, triggers-awaited, triggers-pending, reinstallation
 * required; the packages collector keeps them in its meta): the node runs whatever mix
 * of old and new files and scripts the interruption left. One finding per package,
 * naming the nodes where it is not configured. The package's version item stays, so
 * the node is not reported as missing it.
 */
export function packageStatePreconditions(ctx: EvalContext, reachable: readonly NodeSnapshot[]): Finding[] {
  const byPackage = new Map<string, Map<string, string>>();
  for (const snapshot of reachable) {
    const packages = snapshot.facets.packages;
    if (packages?.status !== 'ok') continue;
    for (const [metaKey, state] of Object.entries(packages.meta ?? {})) {
      if (!metaKey.startsWith(UNFINISHED_META_PREFIX)) continue;
      const name = metaKey.slice(UNFINISHED_META_PREFIX.length);
      let nodes = byPackage.get(name);
      if (!nodes) byPackage.set(name, (nodes = new Map<string, string>()));
      nodes.set(snapshot.node, state);
    }
  }
  const findings: Finding[] = [];
  for (const name of [...byPackage.keys()].sort()) {
    const states = byPackage.get(name) ?? new Map<string, string>();
    const values: Record<string, string | null> = {};
    for (const snapshot of reachable) {
      if (snapshot.facets.packages?.status === 'ok')
        values[snapshot.node] = states.get(snapshot.node) ?? snapshot.facets.packages.items[name]?.value ?? null;
    }
    const outliers = [...states.keys()];
    const triggersOnly = [...states.values()].every((s) => s.startsWith('triggers-'));
    const key = `state:${name}`;
    const f = finalizeFinding(ctx, {
      kind: 'precondition',
      facet: 'packages',
      key,
      values,
      majority: null,
      outliers,
      message: `package ${name} is not configured on ${outliers.map((n) => `${n} (${states.get(n)})`).join(', ')}: an install or upgrade was interrupted; run \`dpkg --configure -a\` there (then \`apt-get -f install\` if dependencies are broken)`,
      defaultSeverity: triggersOnly ? 'warning' : 'critical',
      effective: resolveRule(ctx.rules, 'packages', key),
    });
    if (f) findings.push(f);
  }
  return findings;
}

/**
 * Packages rpm is expected to hold in several versions at once: the kernels (dnf's and
 * zypper's installonly / multiversion packages) and gpg-pubkey (one per imported key).
 */
export function isMultiVersionExpected(name: string): boolean {
  return name === 'gpg-pubkey' || name === 'kernel' || name.startsWith('kernel-') || name === 'installonlypkg';
}

/**
 * rpm: several installed versions of one package (same name and architecture), which is
 * what an interrupted `dnf`/`yum` transaction leaves (`dnf check --duplicates`,
 * `package-cleanup --cleandupes`), except where it is the norm (isMultiVersionExpected).
 */
export function rpmDuplicatePreconditions(ctx: EvalContext, reachable: readonly NodeSnapshot[]): Finding[] {
  const byKey = new Map<string, Map<string, string>>();
  for (const snapshot of reachable) {
    const packages = snapshot.facets.packages;
    if (packages?.status !== 'ok' || packages.meta?.format !== 'rpm') continue;
    for (const [key, item] of Object.entries(packages.items)) {
      if (!item.value.includes(' ') || isMultiVersionExpected(packageName(key))) continue;
      let nodes = byKey.get(key);
      if (!nodes) byKey.set(key, (nodes = new Map<string, string>()));
      nodes.set(snapshot.node, item.value);
    }
  }
  const findings: Finding[] = [];
  for (const key of [...byKey.keys()].sort()) {
    const dupes = byKey.get(key) ?? new Map<string, string>();
    const values: Record<string, string | null> = {};
    for (const snapshot of reachable) {
      const packages = snapshot.facets.packages;
      if (packages?.status === 'ok') values[snapshot.node] = packages.items[key]?.value ?? null;
    }
    const outliers = [...dupes.keys()];
    const findingKey = `duplicates:${key}`;
    const f = finalizeFinding(ctx, {
      kind: 'precondition',
      facet: 'packages',
      key: findingKey,
      values,
      majority: null,
      outliers,
      message: `package ${key} is installed in several versions on ${outliers.map((n) => `${n} (${dupes.get(n)})`).join(', ')}: an interrupted dnf/yum transaction leaves this; finish or clean it there (\`dnf check --duplicates\`, \`dnf remove --duplicates\` or \`package-cleanup --cleandupes\`)`,
      defaultSeverity: 'warning',
      effective: resolveRule(ctx.rules, 'packages', findingKey),
    });
    if (f) findings.push(f);
  }
  return findings;
}
