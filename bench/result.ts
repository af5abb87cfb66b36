/** The shape every measurement hands back to run.ts: figures, targets, and why it was skipped. */

export interface TargetCheck {
  /** Stable id, e.g. `collection.k10.ratio`. */
  id: string;
  description: string;
  value: number | null;
  unit: string;
  comparison: '<=' | '<' | '>=';
  limit: number;
  /** null when the figure could not be measured (skipped part). */
  met: boolean | null;
}

export interface Figure {
  label: string;
  value: number | string | null;
  unit?: string;
}

export interface SectionResult {
  name: string;
  status: 'ok' | 'skipped' | 'partial' | 'failed';
  /** Why a section or part of it was skipped; printed loudly and kept in the JSON. */
  skipped: string[];
  figures: Figure[];
  targets: TargetCheck[];
  /** Raw per-size data for the JSON. */
  data: Record<string, unknown>;
}

/** A part that failed after some of its measurements: those figures are kept in the report. */
export class PartialFailure extends Error {
  constructor(
    message: string,
    readonly section: SectionResult,
  ) {
    super(message);
  }
}

export function target(
  id: string,
  description: string,
  value: number | null,
  unit: string,
  comparison: TargetCheck['comparison'],
  limit: number,
): TargetCheck {
  let met: boolean | null = null;
  if (value !== null && Number.isFinite(value)) {
    met = comparison === '<=' ? value <= limit : comparison === '<' ? value < limit : value >= limit;
  }
  return { id, description, value, unit, comparison, limit, met };
}

export function loudSkip(section: string, reason: string): string {
  const line = `SKIPPED ${section}: ${reason}`;
  console.warn(`\n!!! ${line}\n`);
  return line;
}
