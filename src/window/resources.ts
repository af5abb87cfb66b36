/**
 * Where resources run right now, for the plan's order: `crm_mon --output-as=xml` on one
 * node (read-only; the driftd user needs to be in `haclient`). Optional: when no node
 * answers (no pacemaker, no permission, a replay without the recording) the plan falls
 * back to the config's roles.
 *
 * A node hosts the workload when it runs a primitive that is not fencing and not a
 * clone instance (a clone runs everywhere, so it says nothing about order), or the
 * promoted instance of a promotable clone.
 */
import { parseXml, type XmlElement } from '../collectors/pacemaker-xml.js';
import type { ClusterConfig } from '../config/schema.js';
import { effectiveSsh } from '../config/schema.js';
import type { LoadedConfig } from '../config/load.js';
import { createTransport } from '../transports/factory.js';
import type { CommandResult, CommandSpec } from '../transports/transport.js';

export const CRM_MON_COMMAND: CommandSpec = {
  id: 'pacemaker-crm-mon',
  argv: ['/usr/sbin/crm_mon', '--output-as=xml', '--one-shot', '--inactive'],
  maxBytes: 8 * 1024 * 1024,
};

export interface RunningResource {
  id: string;
  node: string;
  role: string;
}

export type ResourceLocation =
  { kind: 'located'; from: string; resources: RunningResource[]; nodes: string[] } | { kind: 'unknown'; reason: string };

/** Reads one crm_mon XML result; never throws. */
export function parseResourceLocations(result: CommandResult, from: string): ResourceLocation {
  if (result.error !== undefined) return { kind: 'unknown', reason: `${from}: crm_mon: ${result.error}` };
  if (result.exitCode !== 0)
    return {
      kind: 'unknown',
      reason: `${from}: crm_mon exited ${result.exitCode ?? 'without a code'}: ${result.stderr.trim().split('\n')[0] ?? ''}`,
    };
  const parsed = parseXml(result.stdout);
  if (!parsed.ok) return { kind: 'unknown', reason: `${from}: crm_mon output line ${parsed.line}:${parsed.column}: ${parsed.error}` };
  const resources = parsed.root.children.find((c) => c.name === 'resources');
  if (!resources) return { kind: 'unknown', reason: `${from}: crm_mon output has no <resources>` };
  const running: RunningResource[] = [];
  collect(resources, false, running);
  return { kind: 'located', from, resources: running, nodes: [...new Set(running.map((r) => r.node))].sort() };
}

function collect(element: XmlElement, inClone: boolean, out: RunningResource[]): void {
  for (const child of element.children) {
    if (child.name === 'clone') collect(child, true, out);
    // A bundle's replicas are like clone instances: present on many nodes by design.
    else if (child.name === 'bundle') collect(child, true, out);
    else if (child.name === 'group' || child.name === 'replica') collect(child, inClone, out);
    else if (child.name === 'resource') {
      const role = child.attrs['role'] ?? '';
      if (child.attrs['active'] !== 'true') continue;
      if ((child.attrs['resource_agent'] ?? '').startsWith('stonith:')) continue;
      const promoted = role === 'Promoted' || role === 'Master';
      if (inClone && !promoted) continue;
      for (const node of child.children.filter((c) => c.name === 'node')) {
        const name = node.attrs['name'];
        if (name) out.push({ id: child.attrs['id'] ?? '?', node: name, role });
      }
    }
  }
}

/** Asks the cluster's nodes in config order until one answers. */
export async function locateResources(loaded: LoadedConfig, cluster: ClusterConfig): Promise<ResourceLocation> {
  const reasons: string[] = [];
  for (const node of cluster.nodes) {
    const transport = createTransport(node, effectiveSsh(loaded.config, node), { configDir: loaded.dir });
    try {
      await transport.open();
      const [result] = await transport.run([CRM_MON_COMMAND]);
      const location = result ? parseResourceLocations(result, node.name) : { kind: 'unknown' as const, reason: `${node.name}: no result` };
      if (location.kind === 'located') return location;
      reasons.push(location.reason);
    } catch (err) {
      reasons.push(`${node.name}: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      await transport.close().catch(() => undefined);
    }
  }
  return { kind: 'unknown', reason: reasons.join('; ') || 'no node' };
}
