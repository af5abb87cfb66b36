/**
 * Which resource and fence agents a pacemaker facet's CIB refers to, and where each
 * one lives on a node: the engine's precondition "every referenced agent is installed
 * on every node" (a failover onto a node without the agent fails the start).
 */
import type { FacetSnapshot } from '../core/snapshot.js';

export interface ReferencedAgents {
  /** Full agent strings, e.g. `ocf:heartbeat:IPaddr2`. Sorted, unique. */
  ocf: string[];
  /** e.g. `stonith:fence_ipmilan`, `stonith:external/libvirt`. */
  stonith: string[];
  /** e.g. `systemd:nginx`. */
  systemd: string[];
  /** lsb:, service:, upstart:, nagios: and anything newer. */
  other: string[];
}

const AGENT = /^([a-z]+):(\S+)$/;
const NOT_AN_AGENT_KEY = /\.(param|meta|utilization|op)\.|\.template$/;

/**
 * Reads the `resource.<id>` and `template.<id>` items (value = agent). Keys of
 * parameters, meta attributes and operations are skipped by shape, so a parameter whose
 * value happens to look like an agent is not mistaken for one.
 */
export function referencedAgents(facet: FacetSnapshot): ReferencedAgents {
  const found = { ocf: new Set<string>(), stonith: new Set<string>(), systemd: new Set<string>(), other: new Set<string>() };
  for (const [key, item] of Object.entries(facet.items)) {
    if (!key.startsWith('resource.') && !key.startsWith('template.')) continue;
    if (NOT_AN_AGENT_KEY.test(key)) continue;
    const match = AGENT.exec(item.value);
    if (!match) continue;
    const cls = match[1] ?? '';
    if (cls === 'ocf' || cls === 'stonith' || cls === 'systemd') found[cls].add(item.value);
    else found.other.add(item.value);
  }
  const sorted = (set: Set<string>): string[] => [...set].sort();
  return { ocf: sorted(found.ocf), stonith: sorted(found.stonith), systemd: sorted(found.systemd), other: sorted(found.other) };
}

export interface AgentInstallHint {
  /** File that must exist on the node for the agent to run, when it is a file. */
  path?: string;
  /** systemd unit the agent drives, for the services facet. */
  unit?: string;
  /** Debian package that ships it (RPM names are the same for these). */
  package?: string;
}

const OCF_PROVIDER_PACKAGE: Readonly<Record<string, string>> = {
  heartbeat: 'resource-agents',
  pacemaker: 'pacemaker-resource-agents',
  linbit: 'drbd-utils',
};

/** Where an agent lives and which package ships it, as far as it can be known by name. */
export function agentInstallHint(agent: string): AgentInstallHint {
  const parts = agent.split(':');
  const [cls, second, third] = parts;
  if (cls === 'ocf' && second && third && parts.length === 3) {
    const pkg = OCF_PROVIDER_PACKAGE[second];
    return { path: `/usr/lib/ocf/resource.d/${second}/${third}`, ...(pkg ? { package: pkg } : {}) };
  }
  if (cls === 'stonith' && second && parts.length === 2) {
    if (second.startsWith('fence_')) return { path: `/usr/sbin/${second}`, package: 'fence-agents' };
    // cluster-glue's plugin directory differs between distributions: name the package only.
    return { package: 'cluster-glue' };
  }
  if ((cls === 'systemd' || cls === 'service') && second && parts.length === 2) {
    return { unit: second.includes('.') ? second : `${second}.service` };
  }
  if (cls === 'lsb' && second && parts.length === 2) return { path: `/etc/init.d/${second}` };
  return {};
}
