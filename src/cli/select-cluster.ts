/** Picks the cluster a command is about: the named one, or the only one in the config. */
import type { DriftdConfig, ClusterConfig } from '../config/schema.js';
import { CliError, EXIT } from './exit-codes.js';

export function pickCluster(config: DriftdConfig, name: string | undefined): ClusterConfig {
  const names = config.clusters.map((c) => c.name).join(', ');
  if (name === undefined) {
    if (config.clusters.length === 1 && config.clusters[0]) return config.clusters[0];
    throw new CliError(`several clusters are configured (${names}); say which one with --cluster`, EXIT.undecided);
  }
  const cluster = config.clusters.find((c) => c.name === name);
  if (!cluster) throw new CliError(`no cluster named "${name}" in the config (clusters: ${names})`, EXIT.undecided);
  return cluster;
}
