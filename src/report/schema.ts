/**
 * The audit report contract (`driftd report --format json`), documented in docs/report.md.
 * Auditors' tooling reads it: add fields, never rename or remove. `schema` names the
 * version so a reader can refuse what it does not know.
 */
import { z } from 'zod';
import { FACET_NAMES } from '../core/snapshot.js';
import { SEVERITIES } from '../core/findings.js';

export const AUDIT_REPORT_SCHEMA_ID = 'driftd.audit-report/v1';

const Iso = z.string().describe('ISO 8601 date-time, UTC');
const Values = z.record(z.string(), z.string().nullable());

export const SeverityCountsSchema = z.object({
  critical: z.number().int().min(0),
  warning: z.number().int().min(0),
  info: z.number().int().min(0),
  /** Findings that a waiver covers (any severity); not counted above. */
  waived: z.number().int().min(0),
});

/**
 * parity: collected, no unwaived finding. drift: at least one unwaived finding names the node.
 * waived: only waived findings. unsupported: the node has no such thing. error / truncated:
 * the facet could not be read whole. not-collected: the cluster does not collect it, or the
 * node gave nothing. unreachable: the node could not be reached at all.
 */
export const ParityCellStatusSchema = z.enum([
  'parity',
  'drift',
  'waived',
  'unsupported',
  'error',
  'truncated',
  'not-collected',
  'unreachable',
]);

export const ParityCellSchema = z.object({
  facet: z.string(),
  status: ParityCellStatusSchema,
  drift: SeverityCountsSchema,
  /** Why a facet is unsupported/errored, from the snapshot. */
  detail: z.string().nullable(),
});

export const ParityRowSchema = z.object({
  node: z.string(),
  reachable: z.boolean(),
  ready: z.boolean(),
  score: z.number().min(0).max(1),
  snapshotAt: Iso.nullable(),
  error: z.string().nullable(),
  cells: z.array(ParityCellSchema),
});

export const WaiverInForceSchema = z.object({
  pack: z.string(),
  packFile: z.string().nullable(),
  rule: z.string(),
  /** Narrows the waiver to some of the rule's keys; null: every key the rule matches. */
  key: z.string().nullable(),
  justification: z.string(),
  author: z.string(),
  expires: z.string(),
  /** Lapsed at generation time (a date-only expiry holds through that whole UTC day). */
  expired: z.boolean(),
});

export const EpisodeSchema = z.object({
  episodeId: z.number().int(),
  findingId: z.string(),
  facet: z.string(),
  key: z.string(),
  kind: z.string(),
  severity: z.string(),
  rule: z.string().nullable(),
  message: z.string(),
  firstSeen: Iso,
  lastSeen: Iso,
  resolvedAt: Iso.nullable(),
  status: z.enum(['open', 'resolved']),
  /** resolvedAt - firstSeen; for an open episode, up to the end of the period. */
  durationSeconds: z.number().min(0),
  /** Node -> value when the episode opened, and at its last sighting (null: absent). */
  valuesOpen: Values,
  valuesLast: Values,
  waived: z.boolean(),
  waiver: z
    .object({ justification: z.string(), author: z.string(), expires: z.string(), rule: z.string() })
    .nullable(),
});

export const ChangeSchema = z.object({
  at: Iso,
  runId: z.number().int(),
  node: z.string(),
  facet: z.string(),
  key: z.string(),
  change: z.string(),
  before: z.string().nullable(),
  after: z.string().nullable(),
});

export const ReadinessPointSchema = z.object({
  at: Iso,
  runId: z.number().int(),
  ready: z.boolean(),
  score: z.number().min(0).max(1),
  nodes: z.record(z.string(), z.number()),
});

export const NotReadyIntervalSchema = z.object({
  from: Iso,
  /** The first ready run after it; null when the period ends not ready. */
  to: Iso.nullable(),
  runs: z.number().int().min(1),
});

export const SnapshotEvidenceSchema = z.object({
  node: z.string(),
  takenAt: Iso,
  error: z.string().nullable(),
  /** snapshotContentHash: sha256 over cluster, node, error and the facet hashes. */
  contentHash: z.string(),
  /** facetHashes: sha256 of each facet's canonical content. */
  facets: z.record(z.string(), z.string()),
});

export const ChainSchema = z.object({
  ok: z.boolean(),
  /** Runs in the whole store that verifyChain recomputed. */
  runsVerified: z.number().int().min(0),
  thinnedRuns: z.number().int().min(0),
  brokenAt: z.number().int().nullable(),
  reason: z.string().nullable(),
});

export const LatestRunSchema = z.object({
  id: z.number().int(),
  startedAt: Iso,
  finishedAt: Iso,
  checkedAt: Iso,
  ready: z.boolean(),
  score: z.number().min(0).max(1),
  nodeCount: z.number().int(),
  errorCount: z.number().int(),
  hash: z.string(),
  prevHash: z.string().nullable(),
  snapshotsHash: z.string(),
  findingsHash: z.string(),
  reportHash: z.string(),
  /** The snapshot hashes below, recombined, give snapshotsHash (the store's own evidence). */
  snapshotsHashMatches: z.boolean(),
  thinnedNodes: z.array(z.string()),
});

export const AuditReportSchema = z.object({
  schema: z.literal(AUDIT_REPORT_SCHEMA_ID),
  generatedAt: Iso,
  driftdVersion: z.string(),
  /** The command that produced the report, shell-quoted. */
  commandLine: z.string(),
  cluster: z.object({
    name: z.string(),
    baseline: z.string().nullable(),
    facets: z.array(z.enum(FACET_NAMES)),
    nodes: z.array(
      z.object({
        name: z.string(),
        transport: z.string(),
        host: z.string().nullable(),
        role: z.string().nullable(),
      }),
    ),
  }),
  period: z.object({ since: Iso, until: Iso }),
  summary: z.object({
    runs: z.number().int().min(0),
    readyRuns: z.number().int().min(0),
    notReadyRuns: z.number().int().min(0),
    /** Verdict of the latest run in the period; null without runs. */
    currentlyReady: z.boolean().nullable(),
    currentScore: z.number().nullable(),
    episodes: z.number().int().min(0),
    openEpisodes: z.number().int().min(0),
    resolvedEpisodes: z.number().int().min(0),
    episodesBySeverity: z.record(z.enum(SEVERITIES), z.number().int().min(0)),
    changes: z.number().int().min(0),
  }),
  rules: z.object({
    packs: z.array(z.object({ pack: z.string(), file: z.string().nullable(), rules: z.number().int() })),
    waivers: z.array(WaiverInForceSchema),
    /** Rule packs that failed to load (file:line:col message). */
    errors: z.array(z.string()),
  }),
  latestRun: LatestRunSchema.nullable(),
  parity: z
    .object({
      runId: z.number().int(),
      facets: z.array(z.string()),
      rows: z.array(ParityRowSchema),
    })
    .nullable(),
  readiness: z.object({
    points: z.array(ReadinessPointSchema),
    notReady: z.array(NotReadyIntervalSchema),
  }),
  episodes: z.array(EpisodeSchema),
  changes: z.array(ChangeSchema),
  evidence: z.object({
    runCount: z.number().int().min(0),
    snapshots: z.array(SnapshotEvidenceSchema),
    chain: ChainSchema,
  }),
});

export type AuditReport = z.infer<typeof AuditReportSchema>;
export type ParityCell = z.infer<typeof ParityCellSchema>;
export type ParityRow = z.infer<typeof ParityRowSchema>;
export type ParityCellStatus = z.infer<typeof ParityCellStatusSchema>;
export type SeverityCounts = z.infer<typeof SeverityCountsSchema>;
export type AuditEpisode = z.infer<typeof EpisodeSchema>;
export type AuditChange = z.infer<typeof ChangeSchema>;
export type WaiverInForce = z.infer<typeof WaiverInForceSchema>;
export type NotReadyInterval = z.infer<typeof NotReadyIntervalSchema>;
