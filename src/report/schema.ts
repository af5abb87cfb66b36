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
  waived: z.number().int().min(0).describe('findings a waiver covers (any severity); not counted in critical/warning/info'),
});

/**
 * parity: collected, no unwaived finding. drift: at least one unwaived finding names the node.
 * waived: only waived findings. unsupported: the node has no such thing. error / truncated:
 * the facet could not be read whole. not-collected: the cluster does not collect it, or the
 * node gave nothing. unreachable: the node could not be reached at all.
 */
export const ParityCellStatusSchema = z
  .enum(['parity', 'drift', 'waived', 'unsupported', 'error', 'truncated', 'not-collected', 'unreachable'])
  .describe(
    'parity: no unwaived finding; drift: an unwaived finding names the node; waived: only waived ones; unsupported/error/truncated: facet status; not-collected: no such facet in the snapshot; unreachable: node not reached',
  );

export const ParityCellSchema = z.object({
  facet: z.string(),
  status: ParityCellStatusSchema,
  drift: SeverityCountsSchema,
  detail: z.string().nullable().describe('why the facet is unsupported, errored or truncated (from the snapshot)'),
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
  key: z.string().nullable().describe("narrows the waiver to some of the rule's keys (glob or /regex/); null: every key the rule matches"),
  justification: z.string(),
  author: z.string(),
  expires: z.string(),
  expired: z.boolean().describe('lapsed at generation time (a date-only expiry holds through that whole UTC day)'),
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
  durationSeconds: z
    .number()
    .min(0)
    .describe('resolvedAt - firstSeen; for an open episode, up to the end of the period (or generation time if earlier)'),
  valuesOpen: Values.describe('node -> value when the episode opened (null: absent on that node)'),
  valuesLast: Values.describe('node -> value at the last run that saw the finding'),
  waived: z.boolean(),
  waiver: z.object({ justification: z.string(), author: z.string(), expires: z.string(), rule: z.string() }).nullable(),
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
  to: Iso.nullable().describe('start of the first ready run after the stretch; null when the period ends not ready'),
  runs: z.number().int().min(1),
});

export const SnapshotEvidenceSchema = z.object({
  node: z.string(),
  takenAt: Iso,
  error: z.string().nullable(),
  contentHash: z
    .string()
    .describe('sha256 over canonical JSON of cluster, node, error and the facet hashes (core/snapshot.ts snapshotContentHash)'),
  facets: z.record(z.string(), z.string()).describe("facet -> sha256 of the facet's canonical content (core/snapshot.ts facetHash)"),
});

export const ChainSchema = z.object({
  ok: z.boolean(),
  runsVerified: z.number().int().min(0).describe('runs of the whole store (every cluster) that verifyChain recomputed'),
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
  snapshotsHashMatches: z.boolean().describe('the content hashes in evidence.snapshots, recombined, give snapshotsHash'),
  thinnedNodes: z.array(z.string()),
});

export const AuditReportSchema = z
  .object({
    schema: z.literal(AUDIT_REPORT_SCHEMA_ID),
    generatedAt: Iso,
    driftdVersion: z.string(),
    commandLine: z.string().describe('the command that produced the report, shell-quoted (or the HTTP route for the daemon)'),
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
      currentlyReady: z.boolean().nullable().describe('verdict of the latest run in the period; null without runs'),
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
      errors: z.array(z.string()).describe('rule packs that failed to load, as file:line:col: message'),
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
  })
  .describe('driftd compliance audit report (driftd report --format json); see docs/report.md');

export type AuditReport = z.infer<typeof AuditReportSchema>;
export type ParityCell = z.infer<typeof ParityCellSchema>;
export type ParityRow = z.infer<typeof ParityRowSchema>;
export type ParityCellStatus = z.infer<typeof ParityCellStatusSchema>;
export type SeverityCounts = z.infer<typeof SeverityCountsSchema>;
export type AuditEpisode = z.infer<typeof EpisodeSchema>;
export type AuditChange = z.infer<typeof ChangeSchema>;
export type WaiverInForce = z.infer<typeof WaiverInForceSchema>;
export type NotReadyInterval = z.infer<typeof NotReadyIntervalSchema>;
