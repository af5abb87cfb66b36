/**
 * Drift that an open maintenance window declared is `expected`, not an alarm. One
 * implementation for the daemon's runs and for `driftd check` run by hand during the
 * window, so both mark exactly the same findings.
 */
import type { CheckReport } from '../core/check-report.js';
import { classifyWindowFindings, type WindowContext } from '../core/window/classify.js';
import { readOpenWindowContexts } from './views.js';

/** Flags the findings that are an open window's declared change (expected, not alarms). */
export function markExpected(report: CheckReport, window: WindowContext): CheckReport {
  const { expected } = classifyWindowFindings(report, window);
  if (expected.length === 0) return report;
  const ids = new Set(expected.map((f) => f.id));
  return { ...report, findings: report.findings.map((f) => (ids.has(f.id) ? { ...f, expected: true } : f)) };
}

/**
 * The report with the findings of its cluster's open window (if any) marked expected.
 * `windows` may be passed when the caller already read them (the daemon reads them once
 * per run); otherwise the window store in `databaseFile` is read (a missing or unreadable
 * database means no window).
 */
export function markOpenWindowExpected(
  databaseFile: string,
  report: CheckReport,
  windows: ReadonlyMap<string, WindowContext> = readOpenWindowContexts(databaseFile),
): CheckReport {
  const window = windows.get(report.cluster);
  return window ? markExpected(report, window) : report;
}
