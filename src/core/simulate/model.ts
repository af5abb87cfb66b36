/**
 * What Pacemaker's scheduler says about a cluster, as driftd reads it from `crm_simulate`
 * (src/simulate/parse-output.ts): the nodes and, per resource, where its instances run,
 * before and after the simulated events. Pure data.
 */

/** A node as the scheduler sees it. */
export interface SimNode {
  name: string;
  online: boolean;
  unclean: boolean;
  standby: boolean;
  maintenance: boolean;
  /** member (a cluster node), remote or guest (a Pacemaker Remote node, e.g. a bundle's container). */
  type: string;
}

/** One running instance of a resource: the node and its role (Started, Promoted, Unpromoted...). */
export interface Placement {
  node: string;
  role: string;
}

/**
 * A resource as compared before and after: a primitive, or all instances of a primitive
 * inside a clone or bundle (anonymous instances are interchangeable, so they are counted,
 * not followed one by one).
 */
export interface SimResource {
  /** `erp-ip`, or for a clone/bundle member `<clone id>/<primitive id>` (instance numbers dropped). */
  key: string;
  /** The primitive's id (without instance number). */
  primitive: string;
  /** `ocf:heartbeat:IPaddr2`; empty when the scheduler did not say. */
  agent: string;
  /** The enclosing group, if any. */
  group?: string;
  /** The enclosing clone or bundle, if any: the resource then has several interchangeable instances. */
  collection?: string;
  /** Active instances, in document order. */
  placements: Placement[];
  /** Instances listed but not active (Stopped). */
  stopped: number;
  managed: boolean;
  blocked: boolean;
  failed: boolean;
}

export interface ClusterState {
  nodes: SimNode[];
  resources: SimResource[];
}

/** A fencing action in the transition (`Fence (reboot)` of a node). */
export interface FenceAction {
  node: string;
  task: string;
}

/** A resource action of the transition summary: `move erp-ip erp-a -> erp-b`, `start drbd:1 on erp-c`. */
export interface ResourceAction {
  action: string;
  /** As the scheduler names it, instance number included (`drbd-erpdata:2`). */
  resource: string;
  node?: string;
  source?: string;
  dest?: string;
  reason?: string;
  /** The scheduler wants it but cannot do it (an unrunnable dependency, no quorum...). */
  blocked?: boolean;
}

/** The outcome of one `crm_simulate --simulate` run. */
export interface SimulationOutcome {
  before: ClusterState;
  after: ClusterState;
  fencing: FenceAction[];
  /** The resource actions of the transition summary (start, stop, promote, move...). */
  actions: ResourceAction[];
}

/** Master/Slave are the names Pacemaker used before 2.1 for Promoted/Unpromoted. */
export function normaliseRole(role: string): string {
  if (role === 'Master') return 'Promoted';
  if (role === 'Slave') return 'Unpromoted';
  return role;
}
