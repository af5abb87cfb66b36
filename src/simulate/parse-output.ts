/**
 * Pure parser of `crm_simulate --simulate --output-as=xml` (Pacemaker 2.1+): the cluster
 * before (`cluster_status`), the fencing and resource actions of the transition
 * (`actions`), and the cluster after (`revised_cluster_status`). Never throws: anything
 * unreadable is a typed error naming what is missing.
 *
 * Resources come as nested `clone`, `group`, `bundle` (with `replica`) and `resource`
 * elements. A primitive outside any clone or bundle is followed by its id; the instances of
 * a clone or bundle member are interchangeable and are gathered under
 * `<clone or bundle id>/<primitive id>`, instance numbers (`:0`, a replica's `-0`) dropped.
 */
import { childNamed, parseXml, type XmlElement } from '../collectors/pacemaker-xml.js';
import {
  normaliseRole,
  type ClusterState,
  type FenceAction,
  type ResourceAction,
  type SimNode,
  type SimResource,
  type SimulationOutcome,
} from '../core/simulate/model.js';

export type SimulationParse = { ok: true; outcome: SimulationOutcome } | { ok: false; error: string };

class OutputShapeError extends Error {
  override readonly name = 'OutputShapeError';
}

function flag(element: XmlElement, name: string, fallback: boolean): boolean {
  const raw = element.attrs[name];
  if (raw === undefined) return fallback;
  return raw === 'true';
}

function parseNodes(status: XmlElement): SimNode[] {
  const nodes = childNamed(status, 'nodes');
  if (!nodes) return [];
  return nodes.children
    .filter((n) => n.name === 'node' && n.attrs.name !== undefined)
    .map((n) => ({
      name: n.attrs.name ?? '',
      online: flag(n, 'online', false),
      unclean: flag(n, 'unclean', false),
      standby: flag(n, 'standby', false),
      maintenance: flag(n, 'maintenance', false),
      type: n.attrs.type ?? 'member',
    }));
}

interface Scope {
  group?: string;
  collection?: string;
  replica?: string;
}

function stripInstance(id: string, replica: string | undefined): string {
  const bare = id.replace(/:\d+$/, '');
  if (replica !== undefined && bare.endsWith(`-${replica}`)) return bare.slice(0, -(replica.length + 1));
  return bare;
}

function parseResources(status: XmlElement): SimResource[] {
  const root = childNamed(status, 'resources');
  if (!root) return [];
  const byKey = new Map<string, SimResource>();
  // Iterative walk: the output of a hostile CIB may nest deeply.
  const stack: { element: XmlElement; scope: Scope }[] = root.children.map((element) => ({ element, scope: {} })).reverse();
  while (stack.length > 0) {
    const { element, scope } = stack.pop() as { element: XmlElement; scope: Scope };
    const id = element.attrs.id ?? '';
    let inner: Scope | undefined;
    switch (element.name) {
      case 'clone':
      case 'bundle':
        inner = { ...scope, collection: scope.collection ?? id };
        break;
      case 'group':
        inner = { ...scope, group: stripInstance(id, undefined) };
        break;
      case 'replica':
        inner = { ...scope, replica: id };
        break;
      case 'resource':
        addInstance(byKey, element, scope);
        break;
      default:
        break;
    }
    if (inner)
      for (let i = element.children.length - 1; i >= 0; i--) stack.push({ element: element.children[i] as XmlElement, scope: inner });
  }
  return [...byKey.values()];
}

function addInstance(byKey: Map<string, SimResource>, element: XmlElement, scope: Scope): void {
  const id = element.attrs.id;
  if (id === undefined || id === '') throw new OutputShapeError(`a <resource> at line ${element.line} has no id`);
  const primitive = stripInstance(id, scope.replica);
  const key = scope.collection === undefined ? primitive : `${scope.collection}/${primitive}`;
  let resource = byKey.get(key);
  if (!resource) {
    resource = {
      key,
      primitive,
      agent: element.attrs.resource_agent ?? '',
      ...(scope.group !== undefined ? { group: scope.group } : {}),
      ...(scope.collection !== undefined ? { collection: scope.collection } : {}),
      placements: [],
      stopped: 0,
      managed: true,
      blocked: false,
      failed: false,
    };
    byKey.set(key, resource);
  }
  const role = normaliseRole(element.attrs.role ?? 'Started');
  const nodes = element.children.filter((c) => c.name === 'node' && c.attrs.name !== undefined);
  if (nodes.length === 0) resource.stopped++;
  for (const node of nodes) resource.placements.push({ node: node.attrs.name ?? '', role });
  resource.managed &&= flag(element, 'managed', true);
  resource.blocked ||= flag(element, 'blocked', false);
  resource.failed ||= flag(element, 'failed', false);
}

function parseState(status: XmlElement): ClusterState {
  return { nodes: parseNodes(status), resources: parseResources(status) };
}

function parseActions(result: XmlElement): { fencing: FenceAction[]; actions: ResourceAction[] } {
  const list = childNamed(result, 'actions');
  const fencing: FenceAction[] = [];
  const actions: ResourceAction[] = [];
  for (const action of list?.children ?? []) {
    const a = action.attrs;
    if (action.name === 'node_action' && (a.task ?? '').startsWith('Fence')) {
      fencing.push({ node: a.node ?? '', task: a.task ?? '' });
    } else if (action.name === 'rsc_action') {
      actions.push({
        action: a.action ?? '',
        resource: a.resource ?? '',
        ...(a.node !== undefined ? { node: a.node } : {}),
        ...(a.source !== undefined ? { source: a.source } : {}),
        ...(a.dest !== undefined ? { dest: a.dest } : {}),
        ...(a.reason !== undefined ? { reason: a.reason } : {}),
        ...(a.blocked === 'true' ? { blocked: true } : {}),
      });
    }
  }
  return { fencing, actions };
}

function parseResult(text: string): SimulationParse {
  const xml = parseXml(text);
  if (!xml.ok) return { ok: false, error: `crm_simulate output is not XML: line ${xml.line}, column ${xml.column}: ${xml.error}` };
  const result = xml.root;
  if (result.name !== 'pacemaker-result')
    return { ok: false, error: `crm_simulate output starts with <${result.name}>, not <pacemaker-result>` };
  const status = childNamed(result, 'status');
  const code = status?.attrs.code;
  if (code !== undefined && code !== '0') {
    return { ok: false, error: `crm_simulate failed: ${status?.attrs.message ?? 'no message'} (code ${code})` };
  }
  const before = childNamed(result, 'cluster_status');
  const after = childNamed(result, 'revised_cluster_status');
  if (!before) return { ok: false, error: 'crm_simulate output has no <cluster_status> (the cluster before the event)' };
  if (!after) return { ok: false, error: 'crm_simulate output has no <revised_cluster_status>: was it run with --simulate?' };
  return { ok: true, outcome: { before: parseState(before), after: parseState(after), ...parseActions(result) } };
}

/** Parses crm_simulate's XML output; never throws. */
export function parseSimulation(text: string): SimulationParse {
  try {
    return parseResult(text);
  } catch (err) {
    if (err instanceof OutputShapeError) return { ok: false, error: `crm_simulate output: ${err.message}` };
    return { ok: false, error: `crm_simulate output: internal parser failure: ${err instanceof Error ? err.message : String(err)}` };
  }
}
