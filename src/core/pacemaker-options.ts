/**
 * Cluster options Pacemaker 3 renamed, new name -> old name, as in the `cluster_options`
 * table of Pacemaker's lib/common/options.c (the "old name" column): the new name is
 * looked up first, the old one only when the new one is absent. One table for the
 * collector (which stores the effective value under the new name) and the practice
 * checks (which read it, and fall back to the old name in older snapshots).
 */
export const RENAMED_CLUSTER_OPTIONS: Readonly<Record<string, string>> = {
  'fencing-enabled': 'stonith-enabled',
  'fencing-action': 'stonith-action',
  'fencing-reaction': 'fence-reaction',
  'fencing-timeout': 'stonith-timeout',
  'fencing-watchdog-timeout': 'stonith-watchdog-timeout',
  'fencing-max-attempts': 'stonith-max-attempts',
  'stop-removed-resources': 'stop-orphan-resources',
  'cancel-removed-actions': 'stop-orphan-actions',
};

/** The fencing options among them (new name -> old name). */
export const FENCING_OPTION_OLD_NAMES: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(RENAMED_CLUSTER_OPTIONS).filter(([name]) => name.startsWith('fencing-')),
);
