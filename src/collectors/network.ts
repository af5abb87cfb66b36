/**
 * network: the interfaces a cluster's rings, VIPs and storage ride on. Per interface its
 * MTU, link state, kind (bond, vlan, bridge, ...), bond or bridge it belongs to and VLAN id
 * (`ip -json -details link`), the families and prefix lengths of its addresses (the
 * addresses themselves are node-specific: the identity facet checks they are not
 * shared), the main routing table without the node's own source addresses (`ip -json
 * route`, IPv4 and IPv6), and each bond's mode, monitoring and members with their link
 * state (/proc/net/bonding/*). An MTU that differs between nodes, a bond in another mode
 * or with a member down, a default route through another gateway are the drift here.
 */
import type { FacetSnapshot, Item } from '../core/snapshot.js';
import type { Collector } from './collector.js';
import { isSharedByDesign, parseIpJson } from './identity.js';
import { errorFacet, firstLine, okFacet, shArgv, unsupportedFacet } from './util.js';
import { facetOf, isReadable, judgeOutput, outputLines, parseFacet, settleFacet, type Outputs } from './output.js';

export const NETWORK_COMMAND_IDS = ['network-link', 'network-addr', 'network-route4', 'network-route6', 'network-bonding'] as const;

/** Each bond's status file behind a `==> path <==` header (the header `tail` writes). */
const BONDING_SCRIPT = [
  'for f in /proc/net/bonding/*; do',
  '  [ -f "$f" ] || continue',
  '  printf \'==> %s <==\\n\' "$f"',
  '  cat -- "$f"',
  'done',
  'exit 0',
].join('\n');

const ADDRESSES_NODE_SPECIFIC = "this node's own addresses (the identity facet checks no two nodes share one)";
const ACTIVE_MEMBER_NODE_SPECIFIC = 'which member carries the traffic now is runtime state, not configuration';

/** iproute2 before 4.13 (RHEL 7) has no JSON output. */
const NO_JSON = /Option "-json" is unknown|-j(son)?.*unknown/i;

function str(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** `ip -json -details link`: link.<if>.{mtu,state,kind,master,vlan}. */
export function linkItems(links: readonly Record<string, unknown>[]): Record<string, Item> {
  const items: Record<string, Item> = {};
  for (const link of links) {
    const name = str(link.ifname);
    if (!name || isSharedByDesign(name) || link.link_type === 'loopback') continue;
    const prefix = `link.${name}`;
    const mtu = str(link.mtu);
    if (mtu !== undefined) items[`${prefix}.mtu`] = { value: mtu };
    const state = str(link.operstate);
    if (state !== undefined) items[`${prefix}.state`] = { value: state };
    const info = record(link.linkinfo);
    const kind = str(info?.info_kind) ?? str(link.link_type);
    if (kind !== undefined) items[`${prefix}.kind`] = { value: kind };
    const master = str(link.master);
    if (master !== undefined) items[`${prefix}.master`] = { value: master };
    const data = record(info?.info_data);
    if (kind === 'vlan' && data) {
      const id = str(data.id);
      if (id !== undefined) items[`${prefix}.vlan.id`] = { value: id };
    }
  }
  return items;
}

/**
 * `ip -json addr`: addr.<if> -> the families and prefix lengths (`inet/24 inet6/64`),
 * compared; addr.<if>.list -> the addresses themselves, node-specific. Link-local and
 * host-scope addresses are left out.
 */
export function addrItems(links: readonly Record<string, unknown>[]): Record<string, Item> {
  const items: Record<string, Item> = {};
  for (const link of links) {
    const name = str(link.ifname);
    if (!name || isSharedByDesign(name) || link.link_type === 'loopback') continue;
    const infos = Array.isArray(link.addr_info) ? link.addr_info : [];
    const shapes: string[] = [];
    const list: string[] = [];
    for (const raw of infos) {
      const info = record(raw);
      const local = str(info?.local);
      if (!info || !local || info.scope === 'host' || info.scope === 'link') continue;
      const family = str(info.family) ?? '?';
      const prefixlen = str(info.prefixlen) ?? '?';
      shapes.push(`${family}/${prefixlen}`);
      list.push(`${local}/${prefixlen}`);
    }
    if (list.length === 0) continue;
    items[`addr.${name}`] = { value: shapes.sort().join(' ') };
    items[`addr.${name}.list`] = { value: list.sort().join(' '), nodeSpecific: ADDRESSES_NODE_SPECIFIC };
  }
  return items;
}

/** One route without what only this node has (its source address): `via GW dev IF metric N`. */
function describeRoute(route: Record<string, unknown>): string {
  const parts: string[] = [];
  const type = str(route.type);
  if (type && type !== 'unicast') parts.push(type);
  const gateway = str(route.gateway);
  if (gateway) parts.push(`via ${gateway}`);
  const dev = str(route.dev);
  if (dev) parts.push(`dev ${dev}`);
  const metric = str(route.metric);
  if (metric) parts.push(`metric ${metric}`);
  const hops = Array.isArray(route.nexthops) ? route.nexthops : [];
  for (const hop of hops) {
    const h = record(hop);
    if (!h) continue;
    parts.push(`nexthop${str(h.gateway) ? ` via ${str(h.gateway)}` : ''}${str(h.dev) ? ` dev ${str(h.dev)}` : ''}`);
  }
  return parts.join(' ');
}

/** `ip -json route` of one family: route.<family>.<dst> -> every route to dst, sorted. */
export function routeItems(family: 'inet' | 'inet6', routes: readonly Record<string, unknown>[]): Record<string, Item> {
  const byDst = new Map<string, string[]>();
  for (const route of routes) {
    const dst = str(route.dst);
    const dev = str(route.dev);
    if (!dst || (dev !== undefined && isSharedByDesign(dev))) continue;
    const list = byDst.get(dst) ?? [];
    list.push(describeRoute(route));
    byDst.set(dst, list);
  }
  const items: Record<string, Item> = {};
  for (const [dst, list] of byDst) items[`route.${family}.${dst}`] = { value: list.sort().join('; ') };
  return items;
}

interface BondState {
  name: string;
  fields: Map<string, string>;
  members: { name: string; fields: Map<string, string> }[];
}

/**
 * /proc/net/bonding/<bond> files behind `==> path <==` headers (the kernel's
 * bond_info_show_master/bond_info_show_slave layout: `Key: value` lines, one block per
 * `Slave Interface:`). Indented sub-blocks (802.3ad details) are skipped.
 */
export function parseBonding(lines: readonly string[]): BondState[] {
  const bonds: BondState[] = [];
  let bond: BondState | undefined;
  let member: BondState['members'][number] | undefined;
  for (const line of lines) {
    const header = /^==> \/proc\/net\/bonding\/(.+) <==$/.exec(line);
    if (header?.[1]) {
      bond = { name: header[1], fields: new Map(), members: [] };
      bonds.push(bond);
      member = undefined;
      continue;
    }
    if (!bond || /^\s/.test(line)) continue;
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const key = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    if (key === 'Slave Interface') {
      member = { name: value, fields: new Map() };
      bond.members.push(member);
      continue;
    }
    const target = member ? member.fields : bond.fields;
    if (!target.has(key)) target.set(key, value);
  }
  return bonds;
}

/** The fields of a bond that are configuration (compared), by item suffix. */
const BOND_FIELDS: Record<string, string> = {
  'Bonding Mode': 'mode',
  'Transmit Hash Policy': 'xmit_hash_policy',
  'MII Polling Interval (ms)': 'miimon',
  'Up Delay (ms)': 'updelay',
  'Down Delay (ms)': 'downdelay',
  'LACP rate': 'lacp_rate',
  'Min links': 'min_links',
  'ARP Polling Interval (ms)': 'arp_interval',
  'ARP IP target/s (n.n.n.n form)': 'arp_ip_target',
};

export function bondItems(bonds: readonly BondState[]): Record<string, Item> {
  const items: Record<string, Item> = {};
  for (const bond of bonds) {
    const prefix = `bond.${bond.name}`;
    for (const [field, suffix] of Object.entries(BOND_FIELDS)) {
      const value = bond.fields.get(field);
      if (value !== undefined) items[`${prefix}.${suffix}`] = { value };
    }
    const primary = bond.fields.get('Primary Slave');
    if (primary !== undefined) items[`${prefix}.primary`] = { value: primary };
    const active = bond.fields.get('Currently Active Slave');
    if (active !== undefined) items[`${prefix}.active`] = { value: active, nodeSpecific: ACTIVE_MEMBER_NODE_SPECIFIC };
    const mii = bond.fields.get('MII Status');
    if (mii !== undefined) items[`${prefix}.mii`] = { value: mii };
    items[`${prefix}.members`] = { value: String(bond.members.length) };
    for (const m of bond.members) {
      const status = m.fields.get('MII Status');
      if (status !== undefined) items[`${prefix}.member.${m.name}.mii`] = { value: status };
      const speed = m.fields.get('Speed');
      if (speed !== undefined) items[`${prefix}.member.${m.name}.speed`] = { value: speed };
    }
  }
  return items;
}

function jsonOf(outputs: Outputs, id: string): { links: Record<string, unknown>[] } | { facet: FacetSnapshot } {
  const check = judgeOutput(outputs, id);
  if (!isReadable(check)) {
    if ((check.kind === 'failed' || check.kind === 'absent') && NO_JSON.test(outputs[id]?.stderr ?? '')) {
      return {
        facet: unsupportedFacet(`${id}: ip has no JSON output (iproute2 older than 4.13): ${firstLine(outputs[id]?.stderr ?? '')}`),
      };
    }
    return { facet: facetOf(check) };
  }
  const parsed = parseIpJson(check.stdout);
  if (parsed) return { links: parsed };
  if (check.kind === 'truncated') return { links: [] };
  return { facet: errorFacet(`${id}: not the JSON array ip prints: ${firstLine(check.stdout)}`) };
}

function parseNetwork(outputs: Outputs): FacetSnapshot {
  const link = jsonOf(outputs, 'network-link');
  if ('facet' in link) return link.facet;
  const items: Record<string, Item> = linkItems(link.links);
  const addr = jsonOf(outputs, 'network-addr');
  if ('facet' in addr) return addr.facet;
  Object.assign(items, addrItems(addr.links));
  const route4 = jsonOf(outputs, 'network-route4');
  if ('facet' in route4) return route4.facet;
  Object.assign(items, routeItems('inet', route4.links));
  // A node without IPv6 answers the -6 query with an error; that is not a failure.
  const route6 = jsonOf(outputs, 'network-route6');
  if (!('facet' in route6)) Object.assign(items, routeItems('inet6', route6.links));
  const bonding = judgeOutput(outputs, 'network-bonding');
  if (isReadable(bonding)) Object.assign(items, bondItems(parseBonding(outputLines(bonding))));
  else if (bonding.kind === 'failed' || bonding.kind === 'absent') return errorFacet(bonding.message);
  return settleFacet(okFacet(items), outputs);
}

export const networkCollector: Collector = {
  name: 'network',
  description: '`ip -json -details link`, `ip -json addr`, `ip -json -4/-6 route`, /proc/net/bonding/*',
  defaultEnabled: true,
  commands() {
    return [
      { id: 'network-link', argv: shArgv('exec ip -json -details link show') },
      { id: 'network-addr', argv: shArgv('exec ip -json addr show') },
      { id: 'network-route4', argv: shArgv('exec ip -json -4 route show') },
      { id: 'network-route6', argv: shArgv('exec ip -json -6 route show') },
      { id: 'network-bonding', argv: shArgv(BONDING_SCRIPT) },
    ];
  },
  parse(outputs) {
    return parseFacet('network', outputs, () => parseNetwork(outputs));
  },
};
