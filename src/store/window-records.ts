/**
 * Schemas of the rows and JSON columns the window tables keep. windows.ts reads them back
 * through the store's one reader (rows.ts readRow/readJson), never cast: a row written
 * by an older or newer driftd that does not fit fails loudly as a StoreError naming the
 * table, the row and the column it came from.
 */
import { z } from 'zod';
import { CHANGE_KINDS } from '../core/changes.js';
import { FindingFieldsSchema, FindingSchema } from '../core/check-report.js';
import { FACET_NAMES } from '../core/snapshot.js';
import { CONSTRAINT_OPERATORS } from '../core/window/expectation.js';

const Facet = z.enum(FACET_NAMES);
const FindingFacet = z.union([Facet, z.literal('node'), z.literal('cluster')]);

export const ConstraintRecord = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('absent'), text: z.string() }),
  z.object({ kind: z.literal('present'), text: z.string() }),
  z.object({
    kind: z.literal('compare'),
    text: z.string(),
    clauses: z.array(z.object({ op: z.enum(CONSTRAINT_OPERATORS), value: z.string() })),
  }),
]);

export const ExpectationRecord = z.object({
  name: z.string().optional(),
  items: z.array(z.object({ facet: Facet, name: z.string(), constraint: ConstraintRecord })),
  allow: z.array(z.object({ facet: Facet, key: z.string() })),
});

export const BaselineValuesRecord = z.record(z.string(), z.partialRecord(Facet, z.record(z.string(), z.string().nullable())));

export const StringListRecord = z.array(z.string());

const ChangeRecord = z.object({
  facet: z.union([Facet, z.literal('node')]),
  key: z.string(),
  change: z.enum(CHANGE_KINDS),
  before: z.string().nullable(),
  after: z.string().nullable(),
});

const ItemCheckRecord = z.object({
  facet: Facet,
  name: z.string(),
  constraint: z.string(),
  keys: z.array(z.string()),
  actual: z.record(z.string(), z.string()),
  ok: z.boolean(),
  reason: z.string().optional(),
});

export const NodeEvaluationRecord = z.object({
  node: z.string(),
  verdict: z.enum(['safe', 'not-safe', 'undecided']),
  reasons: z.array(z.string()),
  expectation: z.array(ItemCheckRecord),
  expectedChanges: z.array(ChangeRecord),
  operationalChanges: z.array(ChangeRecord),
  unexpectedChanges: z.array(ChangeRecord),
  peerFindings: z.array(
    FindingSchema.extend({
      facet: FindingFacet,
      evidence: z.array(FindingFieldsSchema.extend({ facet: FindingFacet })).optional(),
    }),
  ),
  rebootRequired: z.boolean().nullable(),
});

export const WindowSummaryRecord = z.object({
  window: z.object({
    id: z.number().int(),
    cluster: z.string(),
    name: z.string(),
    openedAt: z.string(),
    closedAt: z.string(),
    plannedEnd: z.string().nullable(),
    baselineRunId: z.number().int(),
    expectation: z.array(z.string()),
  }),
  outcome: z.enum(['converged', 'aborted']),
  reason: z.string().nullable(),
  finishRunId: z.number().int().nullable(),
  pendingNodes: z.array(z.string()),
  nodes: z.array(
    z.object({
      node: z.string(),
      changes: z.array(ChangeRecord.extend({ at: z.string().nullable() })),
      verifiedBy: z.object({ runId: z.number().int().nullable(), at: z.string() }).nullable(),
    }),
  ),
});

/** A row of maintenance_windows as SQLite returns it. */
export const WindowRow = z.object({
  id: z.number().int(),
  cluster: z.string(),
  name: z.string(),
  opened_at: z.string(),
  planned_end: z.string().nullable(),
  closed_at: z.string().nullable(),
  baseline_run_id: z.number().int(),
  nodes_json: z.string(),
  expectation_json: z.string(),
  expectation_file: z.string().nullable(),
  baseline_values_json: z.string(),
  baseline_finding_ids_json: z.string(),
  version_format: z.enum(['deb', 'rpm']),
  summary_json: z.string().nullable(),
});
export type WindowRow = z.infer<typeof WindowRow>;

/** A row of maintenance_window_verifications as SQLite returns it. */
export const VerificationRow = z.object({
  id: z.number().int(),
  window_id: z.number().int(),
  node: z.string(),
  at: z.string(),
  verdict: z.enum(['safe', 'not-safe', 'undecided']),
  run_id: z.number().int().nullable(),
  evidence_json: z.string(),
});
export type VerificationRow = z.infer<typeof VerificationRow>;
