/**
 * Finding life cycle: episodes. A finding present in a run either continues its open
 * episode (last_seen, current values, severity, waiver move on) or opens a new one;
 * an open episode whose finding is absent is resolved at that run. A finding that
 * comes back after resolution opens a NEW episode, so "how long was this open" is
 * always one row.
 *
 * `planEpisodes` is the decision, without I/O: the live path applies it to the table,
 * verifyChain replays it over the stored per-run findings and compares.
 */
import { z } from 'zod';
import { FindingFieldsSchema, FindingSchema, WaiverSchema } from '../core/check-report.js';
import { canonicalJson, FACET_NAMES, sha256Hex } from '../core/snapshot.js';
import type { Finding, Waiver } from '../core/findings.js';
import { blobIdOf, putBlobs } from './blobs.js';
import type { Db } from './types.js';
import { chunks, sqlList, whereClause } from './statements.js';
import { StoreError } from './errors.js';
import { optionalIsoUtc } from './time.js';
import { Int, readJson, readRows } from './rows.js';

export interface FindingEpisode {
  episodeId: number;
  findingId: string;
  cluster: string;
  facet: string;
  key: string;
  kind: string;
  severity: string;
  rule: string | null;
  message: string;
  firstSeen: string;
  lastSeen: string;
  resolvedAt: string | null;
  firstRunId: number;
  lastRunId: number;
  resolvedRunId: number | null;
  valuesOpen: Record<string, string | null>;
  valuesLast: Record<string, string | null>;
  valuesClose: Record<string, string | null> | null;
  waived: boolean;
  waiver: Waiver | null;
}

/** A row of finding_episodes as SQLite returns it. */
export const EpisodeRow = z.object({
  id: Int,
  finding_id: z.string(),
  cluster: z.string(),
  facet: z.string(),
  key: z.string(),
  kind: z.string(),
  severity: z.string(),
  rule: z.string().nullable(),
  message: z.string(),
  first_seen: z.string(),
  last_seen: z.string(),
  resolved_at: z.string().nullable(),
  first_run_id: Int,
  last_run_id: Int,
  resolved_run_id: Int.nullable(),
  values_open: z.string(),
  values_last: z.string(),
  values_close: z.string().nullable(),
  waived: Int,
  waiver: z.string().nullable(),
});
export type EpisodeRow = z.infer<typeof EpisodeRow>;

const FindingFacet = z.union([z.enum(FACET_NAMES), z.literal('node'), z.literal('cluster')]);

/** A finding as finding_blobs keeps it: the canonical JSON of core's Finding. */
export const StoredFinding = FindingSchema.extend({
  facet: FindingFacet,
  evidence: z.array(FindingFieldsSchema.extend({ facet: FindingFacet })).optional(),
});

/** An episode's values_open / values_last / values_close column: node -> value. */
const EpisodeValues = FindingSchema.shape.values;

export interface EpisodePlan {
  open: Finding[];
  continue: { episodeId: number; finding: Finding }[];
  resolve: { episodeId: number; valuesLast: string }[];
}

export function planEpisodes(
  openEpisodes: readonly Pick<EpisodeRow, 'id' | 'finding_id' | 'values_last'>[],
  findings: readonly Finding[],
): EpisodePlan {
  const byFinding = new Map(openEpisodes.map((e) => [e.finding_id, e]));
  const present = new Set<string>();
  const plan: EpisodePlan = { open: [], continue: [], resolve: [] };
  for (const finding of findings) {
    present.add(finding.id);
    const episode = byFinding.get(finding.id);
    if (episode) plan.continue.push({ episodeId: episode.id, finding });
    else plan.open.push(finding);
  }
  for (const episode of openEpisodes) {
    if (!present.has(episode.finding_id)) {
      plan.resolve.push({ episodeId: episode.id, valuesLast: episode.values_last });
    }
  }
  return plan;
}

export async function openEpisodeRows(db: Db, cluster: string): Promise<EpisodeRow[]> {
  const rows = await db.all('SELECT * FROM finding_episodes WHERE cluster = ? AND resolved_at IS NULL ORDER BY id', [cluster]);
  return readRows(EpisodeRow, rows, 'finding_episodes');
}

/** The columns a continuing episode takes from the run's finding (with last_seen and last_run_id). */
const CONTINUED_FIELDS = ['values_last', 'severity', 'rule', 'message', 'waived', 'waiver'] as const;
export type ContinuedFields = Pick<EpisodeRow, (typeof CONTINUED_FIELDS)[number]>;

/** What a continuing episode's row takes from the finding, as applyEpisodes writes it and verifyChain replays it. */
export function continuedFields(f: Finding): ContinuedFields {
  return {
    values_last: canonicalJson(f.values),
    severity: f.severity,
    rule: f.rule,
    message: f.message,
    waived: f.waived ? 1 : 0,
    waiver: f.waiver ? canonicalJson(f.waiver) : null,
  };
}

/**
 * Applies one run's findings to the episode table. `at` is the run's start time.
 * Round trips count on PostgreSQL, so the run's new episodes go in multi-row INSERTs
 * (in finding order, which gives their ids), the episodes that continue unchanged but
 * for last_seen in one UPDATE, and the resolved ones in one UPDATE; only an episode
 * whose values, severity, rule, message or waiver moved gets an UPDATE of its own.
 */
export async function applyEpisodes(db: Db, cluster: string, runId: number, at: string, findings: readonly Finding[]): Promise<void> {
  const openRows = await openEpisodeRows(db, cluster);
  const plan = planEpisodes(openRows, findings);
  const EPISODE_TUPLE = '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, NULL, ?, ?, NULL, ?, ?)';
  for (const page of chunks(plan.open, EPISODES_PER_INSERT)) {
    const params = page.flatMap((f) => {
      const values = canonicalJson(f.values);
      return [
        f.id,
        cluster,
        f.facet,
        f.key,
        f.kind,
        f.severity,
        f.rule,
        f.message,
        at,
        at,
        runId,
        runId,
        values,
        values,
        f.waived ? 1 : 0,
        f.waiver ? canonicalJson(f.waiver) : null,
      ];
    });
    await db.run(
      `INSERT INTO finding_episodes (finding_id, cluster, facet, key, kind, severity, rule, message,
         first_seen, last_seen, resolved_at, first_run_id, last_run_id, resolved_run_id,
         values_open, values_last, values_close, waived, waiver)
       VALUES ${page.map(() => EPISODE_TUPLE).join(', ')}`,
      params,
    );
  }
  const rowById = new Map(openRows.map((r) => [r.id, r]));
  const unchanged: number[] = [];
  const update = `UPDATE finding_episodes SET last_seen = ?, last_run_id = ?, values_last = ?, severity = ?,
       rule = ?, message = ?, waived = ?, waiver = ? WHERE id = ?`;
  for (const { episodeId, finding: f } of plan.continue) {
    const fields = continuedFields(f);
    const row = rowById.get(episodeId);
    if (row !== undefined && CONTINUED_FIELDS.every((name) => row[name] === fields[name])) {
      unchanged.push(episodeId);
      continue;
    }
    await db.run(update, [
      at,
      runId,
      fields.values_last,
      fields.severity,
      fields.rule,
      fields.message,
      fields.waived,
      fields.waiver,
      episodeId,
    ]);
  }
  for (const page of chunks(unchanged)) {
    await db.run(`UPDATE finding_episodes SET last_seen = ?, last_run_id = ? WHERE id IN (${sqlList(page.length)})`, [at, runId, ...page]);
  }
  // values_close is the episode's values_last as read above (a resolved episode does not also continue).
  for (const page of chunks(plan.resolve.map((r) => r.episodeId))) {
    await db.run(
      `UPDATE finding_episodes SET resolved_at = ?, resolved_run_id = ?, values_close = values_last WHERE id IN (${sqlList(page.length)})`,
      [at, runId, ...page],
    );
  }
}

/** New episodes per INSERT: 16 bound values each, under SQLite's 32766 and PostgreSQL's 65535. */
const EPISODES_PER_INSERT = 100;

/** Stores a run's findings (content-addressed) and returns their canonical texts by id order. */
export async function insertRunFindings(db: Db, runId: number, findings: readonly Finding[]): Promise<void> {
  const seen = new Set<string>();
  const texts = findings.map((finding) => {
    if (seen.has(finding.id)) {
      throw new StoreError('invalid-input', `finding id ${finding.id} appears twice in one report`);
    }
    seen.add(finding.id);
    const text = canonicalJson(finding);
    return { id: finding.id, text, hash: sha256Hex(text) };
  });
  // Round trips count on PostgreSQL: the blobs in one lookup and one insert, the run's rows in one statement.
  const ids = await putBlobs(
    db,
    'finding_blobs',
    texts.map((t) => ({ hash: t.hash, text: t.text })),
  );
  const rows = texts.map((t) => [runId, t.id, blobIdOf(ids, 'finding_blobs', t.hash)]);
  for (const page of chunks(rows)) {
    await db.run(`INSERT INTO run_findings (run_id, finding_id, blob_id) VALUES ${sqlList(page.length, '(?, ?, ?)')}`, page.flat());
  }
}

export function toEpisode(row: EpisodeRow): FindingEpisode {
  const where = `finding_episodes row id=${row.id}`;
  return {
    episodeId: row.id,
    findingId: row.finding_id,
    cluster: row.cluster,
    facet: row.facet,
    key: row.key,
    kind: row.kind,
    severity: row.severity,
    rule: row.rule,
    message: row.message,
    firstSeen: row.first_seen,
    lastSeen: row.last_seen,
    resolvedAt: row.resolved_at,
    firstRunId: row.first_run_id,
    lastRunId: row.last_run_id,
    resolvedRunId: row.resolved_run_id,
    valuesOpen: readJson(EpisodeValues, row.values_open, `${where} column values_open`),
    valuesLast: readJson(EpisodeValues, row.values_last, `${where} column values_last`),
    valuesClose: row.values_close === null ? null : readJson(EpisodeValues, row.values_close, `${where} column values_close`),
    waived: row.waived === 1,
    waiver: row.waiver === null ? null : readJson(WaiverSchema, row.waiver, `${where} column waiver`),
  };
}

export interface EpisodeQuery {
  cluster?: string;
  /** Episodes still open at or after this time. */
  since?: string;
  /** Episodes opened at or before this time. */
  until?: string;
  openOnly?: boolean;
}

export async function queryEpisodes(db: Db, query: EpisodeQuery): Promise<FindingEpisode[]> {
  const where = whereClause([
    ['cluster = ?', query.cluster],
    ['(resolved_at IS NULL OR resolved_at >= ?)', optionalIsoUtc(query.since, 'since')],
    ['first_seen <= ?', optionalIsoUtc(query.until, 'until')],
    ['resolved_at IS NULL', query.openOnly],
  ]);
  const rows = await db.all(`SELECT * FROM finding_episodes ${where.sql} ORDER BY first_seen, id`, where.params);
  return readRows(EpisodeRow, rows, 'finding_episodes').map(toEpisode);
}
