/**
 * Drift that an open maintenance window declared is `expected`, not an alarm. One
 * implementation for the daemon's runs and for `driftd check` run by hand during the
 * window, so both mark exactly the same findings.
 */
import { existsSync } from 'node:fs';
import type { CheckReport } from '../core/check-report.js';
import { markExpected, type WindowContext } from '../core/window/classify.js';
import { Store } from '../store/index.js';
import { readOpenWindowContexts } from './views.js';

export { markExpected };

/** The report with the findings of its cluster's open window (if any) marked expected. */
export function markOpenWindowExpected(report: CheckReport, windows: ReadonlyMap<string, WindowContext>): CheckReport {
  const window = windows.get(report.cluster);
  return window ? markExpected(report, window) : report;
}

/**
 * For `driftd check` by hand: the open windows of the configured database, read through a
 * read-only store. No database yet means no window; a database that cannot be read is an
 * error the caller reports (a window's expectation must not vanish silently).
 */
export function readOpenWindowsOf(databaseFile: string): Map<string, WindowContext> {
  if (!existsSync(databaseFile)) return new Map();
  const store = Store.open(databaseFile, { readonly: true });
  try {
    return readOpenWindowContexts(store);
  } finally {
    store.close();
  }
}
