/**
 * Agent presence as the pacemaker collector lists it (src/collectors/pacemaker-agents.ts):
 * the facet's meta `agents` holds, of the `ocf:<provider>:<type>`, `stonith:<name>`,
 * `lsb:<name>` and `unit:<systemd unit>` names the node has, those that serve an agent its
 * CIB references; sorted, joined by single spaces (empty when none is there). Only those:
 * the node's whole list of units changes with every package that ships one, which is no
 * news, while a referenced agent appearing or vanishing is.
 */
/** Meta key of the pacemaker facet holding the listing: names joined by single spaces, sorted. */
export const AGENTS_META_KEY = 'agents';

const AGENT_ITEM = /^(resource|template)\./;
const NOT_AN_AGENT_KEY = /\.(param|meta|utilization|op)\.|\.template$/;
const AGENT_VALUE = /^[a-z]+:\S+$/;

/**
 * Agents (`ocf:heartbeat:IPaddr2`, `stonith:fence_ipmilan`) referenced by a pacemaker
 * facet's items: the values of `resource.<id>` and `template.<id>`. Keys of parameters,
 * meta attributes and operations are skipped by shape, so a parameter whose value looks
 * like an agent is not taken for one.
 */
export function agentsOfItems(items: Readonly<Record<string, { value: string }>>): string[] {
  const agents = new Set<string>();
  for (const [key, item] of Object.entries(items)) {
    if (!AGENT_ITEM.test(key) || NOT_AN_AGENT_KEY.test(key) || !AGENT_VALUE.test(item.value)) continue;
    agents.add(item.value);
  }
  return [...agents].sort();
}

/** The listing names that can serve `agent` (see agentPresence). */
export function listingNamesFor(agent: string): string[] {
  const parts = agent.split(':');
  const cls = parts[0];
  const name = parts.slice(1).join(':');
  if (cls === 'ocf' || cls === 'stonith') return [agent];
  const unit = unitName(name);
  const at = unit.indexOf('@');
  const units = [`unit:${unit}`, ...(at > 0 ? [`unit:${unit.slice(0, at + 1)}${unit.slice(unit.lastIndexOf('.'))}`] : [])];
  if (cls === 'systemd') return units;
  if (cls === 'lsb') return [`lsb:${name}`];
  if (cls === 'service') return [...units, `lsb:${name}`];
  return [];
}

/** The systemd unit a `systemd:`/`service:` agent names (`nginx` -> `nginx.service`). */
function unitName(name: string): string {
  return /\.(service|socket|timer|target|mount|path)$/.test(name) ? name : `${name}.service`;
}

/**
 * Whether the node has what `agent` (as written in the CIB) needs, judged from the listing:
 * the evidence found (`/usr/lib/ocf/resource.d/custom/thing`, `nginx.service`), or null.
 * `service:` is Pacemaker's alias that picks systemd or LSB, so either counts.
 * Undefined for a class the listing cannot judge (upstart, nagios, a malformed name).
 */
export function agentPresence(agent: string, names: ReadonlySet<string>): string | null | undefined {
  const parts = agent.split(':');
  const cls = parts[0];
  if (cls === 'ocf') {
    if (parts.length !== 3 || !parts[1] || !parts[2]) return undefined;
    return names.has(agent) ? `/usr/lib/ocf/resource.d/${parts[1]}/${parts[2]}` : null;
  }
  const name = parts.slice(1).join(':');
  if (name === '') return undefined;
  if (cls === 'stonith') {
    if (!names.has(agent)) return null;
    return name.startsWith('fence_') ? `/usr/sbin/${name}` : `cluster-glue plugin ${name}`;
  }
  const systemd = (): string | null => {
    const unit = unitName(name);
    if (names.has(`unit:${unit}`)) return unit;
    const at = unit.indexOf('@');
    if (at > 0) {
      const template = `${unit.slice(0, at + 1)}${unit.slice(unit.lastIndexOf('.'))}`;
      if (names.has(`unit:${template}`)) return template;
    }
    return null;
  };
  const lsb = (): string | null => (names.has(`lsb:${name}`) ? `/etc/init.d/${name}` : null);
  if (cls === 'systemd') return systemd();
  if (cls === 'lsb') return lsb();
  if (cls === 'service') return systemd() ?? lsb();
  return undefined;
}

/** The listing of a pacemaker facet, or undefined when this snapshot has none (older recordings). */
export function agentListing(meta: Readonly<Record<string, string>> | undefined): Set<string> | undefined {
  const raw = meta?.[AGENTS_META_KEY];
  if (raw === undefined) return undefined;
  return new Set(raw.split(' ').filter((n) => n !== ''));
}
