/**
 * The members of a cluster as one node reports them: its corosync.conf nodelist, or
 * `crm_node -l` where there is no readable corosync.conf. Pure parsers, never throw.
 */
import { parseCorosyncConf } from '../../collectors/corosync-conf.js';

export interface Member {
  /** The node's name in the cluster (corosync `name`, or crm_node's name). */
  name: string;
  /** Where to reach it: ring0_addr (corosync), else the name itself. */
  address: string;
}

export type MembersResult = { ok: true; clusterName: string | null; members: Member[] } | { ok: false; error: string };

/** `nodelist.node[name=erp-a].ring0_addr` and friends, grouped by node. */
export function membersFromCorosyncConf(text: string): MembersResult {
  const parsed = parseCorosyncConf(text);
  if (!parsed.ok) return { ok: false, error: `corosync.conf: ${parsed.error}` };
  const nodes = new Map<string, Record<string, string>>();
  let clusterName: string | null = null;
  for (const { key, value } of parsed.entries) {
    if (key === 'totem.cluster_name') clusterName = value;
    const m = /^nodelist\.node\[([^\]=]+)=([^\]]*)\]\.([A-Za-z0-9_]+)$/.exec(key);
    if (!m) continue;
    const id = `${m[1] ?? ''}=${m[2] ?? ''}`;
    nodes.set(id, { ...nodes.get(id), [m[3] ?? '']: value });
  }
  const members: Member[] = [];
  for (const fields of nodes.values()) {
    const address = fields['ring0_addr'] ?? fields['name'];
    if (address === undefined) continue;
    members.push({ name: fields['name'] ?? address, address });
  }
  if (members.length === 0) return { ok: false, error: 'corosync.conf has no nodelist with node names or ring0_addr' };
  return { ok: true, clusterName, members };
}

/** `crm_node -l`: `<id> <name> <state>` per line. */
export function membersFromCrmNode(text: string): MembersResult {
  const members: Member[] = [];
  for (const line of text.split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields.length >= 2 && /^\d+$/.test(fields[0] ?? '') && fields[1]) members.push({ name: fields[1], address: fields[1] });
  }
  return members.length > 0 ? { ok: true, clusterName: null, members } : { ok: false, error: 'crm_node -l listed no node' };
}
