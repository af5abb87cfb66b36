/**
 * The `driftd check --json` contract (also GET /api/v1/clusters/:name). Scripts and
 * playbooks rely on it: add fields, never rename or remove. Exported for users so they
 * can validate what they receive.
 */
import { z } from 'zod';
import { FINDING_KINDS, SEVERITIES } from './findings.js';

export const FacetStatusSchema = z.enum(['ok', 'unsupported', 'error', 'truncated']);

export const ScoreContributionSchema = z.object({
  /** Finding id, or a synthetic reason such as `unreachable` or `stale`. */
  finding: z.string(),
  /** Weight from the scoring config. */
  weight: z.number(),
  /** What it did to the score: `-0.5`, `not-ready`, `zero`. */
  effect: z.string(),
  message: z.string(),
});

export const NodeReportSchema = z.object({
  name: z.string(),
  reachable: z.boolean(),
  ready: z.boolean(),
  score: z.number().min(0).max(1),
  snapshotAt: z.string().nullable(),
  facets: z.record(z.string(), FacetStatusSchema),
  error: z.string().nullable(),
  contributions: z.array(ScoreContributionSchema),
});

export const WaiverSchema = z.object({
  justification: z.string(),
  author: z.string(),
  expires: z.string(),
  rule: z.string(),
});

/** One finding's own fields, without attached evidence (what an evidence entry is). */
export const FindingFieldsSchema = z.object({
  id: z.string(),
  cluster: z.string(),
  facet: z.string(),
  key: z.string(),
  severity: z.enum(SEVERITIES),
  rule: z.string().nullable(),
  kind: z.enum(FINDING_KINDS),
  values: z.record(z.string(), z.string().nullable()),
  majority: z.string().nullable(),
  outliers: z.array(z.string()),
  waived: z.boolean(),
  waiver: WaiverSchema.optional(),
  /** Part of an open maintenance window's declared change: expected, not an alarm. */
  expected: z.boolean().optional(),
  message: z.string(),
  detail: z
    .object({
      diff: z.string().optional(),
      behind: z.array(z.string()).optional(),
      skew: z.enum(['epoch', 'upstream', 'revision']).optional(),
      newest: z.string().optional(),
      runtime: z
        .record(z.string(), z.object({ running: z.string().nullable(), configured: z.string().nullable(), source: z.string().optional() }))
        .optional(),
    })
    .optional(),
  source: z.string().optional(),
  remediation: z.string().optional(),
});

export const FindingSchema = FindingFieldsSchema.extend({
  /**
   * Findings that follow from this one (derived runtime values, a raw file digest, agents
   * of a missing package...), attached by the root-cause pass. Not counted in `summary`,
   * the score or metrics: only the top-level findings (headlines) are.
   */
  evidence: z.array(FindingFieldsSchema).optional(),
});

/**
 * One node failing, as Pacemaker's scheduler plays it on the collected CIB and driftd
 * judges the moves: `safe`, `unsafe` (its findings say why), or `unknown` (not simulated,
 * or a move could not be judged): never counted as safe.
 */
export const FailoverStatusSchema = z.object({
  node: z.string(),
  verdict: z.enum(['safe', 'unsafe', 'unknown']),
  /** Why it is not safe, or why driftd cannot tell. */
  reasons: z.array(z.string()),
});

export const CheckReportSchema = z.object({
  cluster: z.string(),
  ready: z.boolean(),
  score: z.number().min(0).max(1),
  checkedAt: z.string(),
  baseline: z.string().nullable(),
  nodes: z.array(NodeReportSchema),
  findings: z.array(FindingSchema),
  /** Count of unwaived findings by severity, for a one-line verdict. */
  summary: z.object({
    critical: z.number().int(),
    warning: z.number().int(),
    info: z.number().int(),
    waived: z.number().int(),
  }),
  /** Each node failing, simulated (`failover.simulate` in the config); absent when not simulated. */
  failover: z.array(FailoverStatusSchema).optional(),
});
export type CheckReport = z.infer<typeof CheckReportSchema>;
export type NodeReport = z.infer<typeof NodeReportSchema>;
export type ScoreContribution = z.infer<typeof ScoreContributionSchema>;
export type FailoverStatus = z.infer<typeof FailoverStatusSchema>;
