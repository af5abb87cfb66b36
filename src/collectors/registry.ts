/**
 * Every collector, once, in FACET_NAMES order: the one place to look for "which facets
 * exist and which are on by default".
 */
import { FACET_NAMES, type FacetName } from '../core/snapshot.js';
import type { Collector } from './collector.js';
import { corosyncCollector } from './corosync.js';
import { drbdCollector } from './drbd.js';
import { filesCollector } from './files.js';
import { driversCollector } from './drivers.js';
import { identityCollector } from './identity.js';
import { multipathCollector } from './multipath.js';
import { networkCollector } from './network.js';
import { kernelCollector } from './kernel.js';
import { modulesCollector } from './modules.js';
import { osCollector } from './os.js';
import { packagesCollector } from './packages.js';
import { pacemakerCollector } from './pacemaker.js';
import { servicesCollector } from './services.js';
import { sysctlCollector } from './sysctl.js';
import { usersCollector } from './users.js';
import { mountsCollector } from './mounts.js';
import { timeCollector } from './time.js';
import { securityCollector } from './security.js';

const BY_NAME: Record<FacetName, Collector> = {
  os: osCollector,
  kernel: kernelCollector,
  packages: packagesCollector,
  modules: modulesCollector,
  sysctl: sysctlCollector,
  services: servicesCollector,
  files: filesCollector,
  corosync: corosyncCollector,
  pacemaker: pacemakerCollector,
  drbd: drbdCollector,
  users: usersCollector,
  mounts: mountsCollector,
  time: timeCollector,
  security: securityCollector,
  identity: identityCollector,
  network: networkCollector,
  drivers: driversCollector,
  multipath: multipathCollector,
};

export const COLLECTORS: readonly Collector[] = FACET_NAMES.map((name) => BY_NAME[name]);

/** The facets a cluster collects when its config names none: each collector's own default on/off. */
export function defaultFacets(): FacetName[] {
  return COLLECTORS.filter((c) => c.defaultEnabled).map((c) => c.name);
}

/** The collectors for the given facets, in FACET_NAMES order, each once. */
export function collectorsFor(facets: readonly FacetName[]): Collector[] {
  const wanted = new Set(facets);
  return COLLECTORS.filter((c) => wanted.has(c.name));
}

export function collectorByName(name: FacetName): Collector {
  return BY_NAME[name];
}
