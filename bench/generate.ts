/**
 * Synthetic clusters for the benchmark: N nodes x M package items with a drift rate,
 * deterministic for a given seed. Hand-made shapes (not captured output): names and
 * versions look like Debian's so rules and version ordering do real work, and every
 * node gets its own string instances, as parsed snapshots would in the daemon.
 */
import { setFacetDigest } from '../src/core/facet-digest.js';
import type { FacetSnapshot, Item, NodeSnapshot } from '../src/core/snapshot.js';

/** mulberry32: tiny, fast, good enough to pick names and drift deterministically. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Real package names of a Debian HA node, so the shipped cluster-stack rules match some items. */
const HA_PACKAGES = [
  'pacemaker',
  'pacemaker-cli-utils',
  'pacemaker-resource-agents',
  'libpacemaker1',
  'libcib27',
  'libcrmcommon34',
  'corosync',
  'libcorosync-common4',
  'libcfg7',
  'libcmap4',
  'libcpg4',
  'libquorum5',
  'libvotequorum8',
  'libqb100',
  'libknet1',
  'libnozzle1',
  'resource-agents',
  'fence-agents',
  'sbd',
  'drbd-utils',
  'crmsh',
  'pcs',
  'openssh-server',
  'openssh-client',
  'systemd',
  'libc6',
  'libssl3',
  'openssl',
  'linux-image-amd64',
  'dpkg',
];
const STEMS = ['lib', 'python3-', 'perl-', 'golang-', 'node-', 'r-cran-', 'fonts-', 'x11-', 'gir1.2-', ''];
const WORDS = [
  'glib',
  'xml',
  'yaml',
  'crypt',
  'curl',
  'zstd',
  'lz4',
  'ldap',
  'krb5',
  'pam',
  'acl',
  'attr',
  'cap',
  'audit',
  'selinux',
  'dbus',
  'udev',
  'mount',
  'blkid',
  'uuid',
  'gnutls',
  'nettle',
  'idn2',
  'psl',
  'ssh',
  'sqlite',
  'pcre',
  'ffi',
  'gmp',
  'mpfr',
];

export interface PackageUniverse {
  names: string[];
  versions: string[];
}

/** M package names (HA stack first) and their reference versions. */
export function packageUniverse(count: number, random: () => number): PackageUniverse {
  const names: string[] = [];
  const seen = new Set<string>();
  for (const name of HA_PACKAGES) {
    if (names.length >= count) break;
    names.push(name);
    seen.add(name);
  }
  while (names.length < count) {
    const stem = STEMS[Math.floor(random() * STEMS.length)] ?? '';
    const word = WORDS[Math.floor(random() * WORDS.length)] ?? 'x';
    const name = `${stem}${word}${Math.floor(random() * 100)}-${names.length}`;
    if (seen.has(name)) continue;
    seen.add(name);
    names.push(name);
  }
  const versions = names.map(() => debianVersion(random));
  return { names, versions };
}

function debianVersion(random: () => number): string {
  const epoch = random() < 0.1 ? `${1 + Math.floor(random() * 3)}:` : '';
  const upstream = `${Math.floor(random() * 10)}.${Math.floor(random() * 30)}.${Math.floor(random() * 20)}`;
  const revision =
    random() < 0.2 ? `${1 + Math.floor(random() * 5)}+deb12u${1 + Math.floor(random() * 4)}` : `${1 + Math.floor(random() * 9)}`;
  return `${epoch}${upstream}-${revision}`;
}

/** The drifted value of a package on one node: a newer revision (the usual half-patched node). */
function driftedVersion(version: string): string {
  return `${version}.1`;
}

export interface ClusterSpec {
  cluster: string;
  nodes: number;
  packages: number;
  /** Fraction of package items that differ on one node (changed version, or missing). */
  driftRate: number;
  seed: number;
  /** Also the other facets of a typical Debian HA node (sysctl, modules, services), for store and daemon. */
  richFacets?: boolean;
  takenAt?: string;
  /** Node names are `${prefix}${index}`; defaults to the cluster name and a dash. */
  nodePrefix?: string;
  /** Share one package universe across clusters, as a fleet on one distribution does. */
  universe?: PackageUniverse;
  /**
   * The engine's worst case: the last package carries a different version on every node,
   * so no node's packages equal another's and no node can be skipped as a clone.
   */
  everyNodeDistinct?: boolean;
  /**
   * Mark each facet's collection digest (src/core/facet-digest.ts) as collect-node.ts does
   * for live snapshots: equal exactly when two nodes' facets came from the same command
   * outputs (an undrifted node's packages; every os facet differs by its hostname). Without
   * it the snapshots are as read back from the store, with no digest.
   */
  digests?: boolean;
}

export interface SyntheticCluster {
  cluster: string;
  nodes: string[];
  snapshots: NodeSnapshot[];
  /** Package items that differ on some node: what the engine should report. */
  driftedItems: number;
}

/** Item counts of a typical Debian 12 HA node, for the rich facets. */
export const RICH_FACET_ITEMS = { sysctl: 1000, modules: 120, services: 200 } as const;

export const SYNTHETIC_TAKEN_AT = '2026-11-26T08:00:00.000Z';

export function generateCluster(spec: ClusterSpec): SyntheticCluster {
  const random = seededRandom(spec.seed);
  const universe = spec.universe ?? packageUniverse(spec.packages, random);
  const prefix = spec.nodePrefix ?? `${spec.cluster}-`;
  const nodes = Array.from({ length: spec.nodes }, (_, i) => `${prefix}${String(i + 1).padStart(4, '0')}`);
  // drift[item] = [node index, 'version' | 'missing']
  const drift = new Map<number, { node: number; missing: boolean }>();
  for (let i = 0; i < universe.names.length; i += 1) {
    if (spec.nodes > 1 && random() < spec.driftRate) {
      drift.set(i, { node: Math.floor(random() * spec.nodes), missing: random() < 0.2 });
    }
  }
  const takenAt = spec.takenAt ?? SYNTHETIC_TAKEN_AT;
  const snapshots = nodes.map((node, nodeIndex) => {
    const items: Record<string, Item> = {};
    universe.names.forEach((name, i) => {
      const d = drift.get(i);
      const version = universe.versions[i] as string;
      if (spec.everyNodeDistinct && i === universe.names.length - 1) {
        items[name] = { value: `${version}.node${nodeIndex}` };
      } else if (d && d.node === nodeIndex) {
        if (!d.missing) items[name] = { value: driftedVersion(version) };
      } else {
        // A fresh string per node, like a parsed dpkg-query line.
        items[name] = { value: copyString(version) };
      }
    });
    const facets: NodeSnapshot['facets'] = {
      os: okFacet({
        id: { value: copyString('debian') },
        version_id: { value: copyString('12') },
        pretty_name: { value: copyString('Debian GNU/Linux 12 (bookworm)') },
        hostname: { value: node, nodeSpecific: 'the hostname tells the nodes apart' },
        arch: { value: copyString('x86_64') },
      }),
      kernel: okFacet({
        release: { value: copyString('6.1.0-27-amd64') },
        version: { value: copyString('#1 SMP PREEMPT_DYNAMIC Debian 6.1.115-1 (2024-11-01)') },
        reboot_required: { value: copyString('no') },
        'installed.6.1.0-27-amd64': { value: copyString('installed') },
      }),
      packages: { status: 'ok', items, meta: { format: 'deb' }, durationMs: 40 },
    };
    if (spec.richFacets) Object.assign(facets, richFacets(node));
    if (spec.digests) {
      const ownPackages = spec.everyNodeDistinct || [...drift.values()].some((d) => d.node === nodeIndex);
      setFacetDigest(facets.os as FacetSnapshot, `os:${node}`);
      setFacetDigest(facets.kernel as FacetSnapshot, 'kernel');
      setFacetDigest(facets.packages as FacetSnapshot, ownPackages ? `packages:${node}` : 'packages');
    }
    return { cluster: spec.cluster, node, takenAt, facets } satisfies NodeSnapshot;
  });
  return { cluster: spec.cluster, nodes, snapshots, driftedItems: drift.size + (spec.everyNodeDistinct && spec.nodes > 1 ? 1 : 0) };
}

function richFacets(node: string): NodeSnapshot['facets'] {
  const sysctl: Record<string, Item> = {};
  for (let i = 0; i < RICH_FACET_ITEMS.sysctl; i += 1) sysctl[`net.ipv4.conf.if${i % 40}.param_${i}`] = { value: String(i % 17) };
  sysctl['kernel.hostname'] = { value: node, nodeSpecific: 'the hostname tells the nodes apart' };
  const modules: Record<string, Item> = {};
  for (let i = 0; i < RICH_FACET_ITEMS.modules; i += 1) modules[`mod_${i}`] = { value: i % 5 === 0 ? `${i}.0.1` : '-' };
  const services: Record<string, Item> = {};
  for (let i = 0; i < RICH_FACET_ITEMS.services; i += 1)
    services[`unit-${i}.service`] = { value: i % 3 === 0 ? 'enabled running' : 'disabled' };
  return { sysctl: okFacet(sysctl), modules: okFacet(modules), services: okFacet(services) };
}

function okFacet(items: Record<string, Item>): FacetSnapshot {
  return { status: 'ok', items, durationMs: 5 };
}

/** A distinct copy of a string (V8 would otherwise share one instance across nodes). */
function copyString(text: string): string {
  return (' ' + text).slice(1);
}

/** A copy of the snapshot at another time; facets are shared (the store hashes content). */
export function retake(snapshot: NodeSnapshot, takenAt: string): NodeSnapshot {
  return { ...snapshot, takenAt };
}

/** The snapshot with the given package versions replaced (a node that was upgraded). */
export function withPackages(snapshot: NodeSnapshot, changes: ReadonlyMap<string, string>): NodeSnapshot {
  const packages = snapshot.facets.packages;
  if (!packages) throw new Error(`${snapshot.node} has no packages facet`);
  const items = { ...packages.items };
  for (const [name, value] of changes) items[name] = { value };
  return { ...snapshot, facets: { ...snapshot.facets, packages: { ...packages, items } } };
}
