/**
 * Findings: what the engine says about a cluster. Shared by the engine (which makes
 * them), the store (which keeps their life cycle), metrics, the API and reports.
 */
import type { FacetName } from './snapshot.js';

export const SEVERITIES = ['critical', 'warning', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];
/** A rule may also say `ignore`, which drops the finding before it is reported. */
export type RuleSeverity = Severity | 'ignore';

export const FINDING_KINDS = [
  'mismatch',
  'missing',
  'expectation',
  'unreachable',
  'stale',
  'precondition',
  /** The running state differs from what the node's own files load on the next restart. */
  'runtime',
  /** A cluster-stack setting breaks a published best practice (rules/practice.yaml). */
  'practice',
  /** An identity that must differ between nodes (machine-id, host key, nodeid) is shared. */
  'identity',
  /** Pacemaker's scheduler, run on the collected CIB, says a node's failure would not be survived (src/core/simulate/findings.ts). */
  'failover',
] as const;
export type FindingKind = (typeof FINDING_KINDS)[number];

export interface Waiver {
  justification: string;
  author: string;
  /** ISO date or date-time; the waiver lapses after it. */
  expires: string;
  rule: string;
}

/** Which part of a version differs, for package and kernel skew. */
export type VersionSkew = 'epoch' | 'upstream' | 'revision';

export interface FindingDetail {
  /** Unified diff between the majority (or baseline) content and an outlier's. */
  diff?: string;
  /** For version-ordered items: node -> position relative to the newest value. */
  behind?: string[];
  skew?: VersionSkew;
  newest?: string;
  /**
   * `runtime` findings: per outlier node, what runs now and what the files on disk say
   * (null where the disk says nothing), with where the configured value comes from.
   */
  runtime?: Record<string, RuntimeDetail>;
}

export interface RuntimeDetail {
  running: string | null;
  configured: string | null;
  /** `file:line`, a command, or a file such as /boot/vmlinuz-<release>. */
  source?: string;
}

export interface Finding {
  /** Stable across runs for the same cluster, kind, facet and key. */
  id: string;
  cluster: string;
  /** `node` for cluster-wide kinds without a facet (unreachable, stale). */
  facet: FacetName | 'node' | 'cluster';
  key: string;
  severity: Severity;
  /** Name of the rule that set the severity; null for the built-in default. */
  rule: string | null;
  kind: FindingKind;
  /** Node -> value; null where the item is absent on that node. */
  values: Record<string, string | null>;
  majority: string | null;
  outliers: string[];
  waived: boolean;
  waiver?: Waiver;
  /**
   * The declared change of an open maintenance window (`driftd window start --expect`):
   * drift on the way to the target, counted apart from alarms. Set by the daemon.
   */
  expected?: boolean;
  message: string;
  detail?: FindingDetail;
  /** Where the rule behind the finding comes from (a guide, a man page, a check id). */
  source?: string;
  /** What to do about it, from the rule. */
  remediation?: string;
  /**
   * Findings that follow from this one (the same change seen by another check: derived
   * runtime values, the raw file digest, agents of a missing package), attached by the
   * root-cause pass instead of standing alone. Each keeps its own id, kind and values;
   * they never carry evidence themselves. Counted nowhere: only headlines are.
   */
  evidence?: Finding[];
}
