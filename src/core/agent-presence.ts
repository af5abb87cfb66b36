/**
 * Agent presence as the pacemaker collector lists it (src/collectors/pacemaker-agents.ts):
 * the facet's meta `agents` holds `ocf:<provider>:<type>`, `stonith:<name>`, `lsb:<name>`
 * and `unit:<systemd unit>` names, sorted, joined by single spaces.
 */
/** Meta key of the pacemaker facet holding the listing: names joined by single spaces, sorted. */
export const AGENTS_META_KEY = 'agents';

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
