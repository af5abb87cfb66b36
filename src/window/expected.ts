/**
 * The open maintenance windows of a database, for `driftd check` run by hand during a
 * window. The window's declared change directs and marks the verdict in audit.ts `judge`,
 * the one place the daemon, `check` and the window's own runs share.
 */
import type { WindowContext } from '../core/window/classify.js';
import { databaseMayHoldHistory, openStoreOf } from '../config/database.js';
import type { LoadedConfig } from '../config/load.js';
import { readOpenWindowContexts } from './views.js';

/**
 * For `driftd check` by hand: the open windows of the configured database, read through a
 * read-only store. No database yet means no window; a database that cannot be read is an
 * error the caller reports (a window's expectation must not vanish silently).
 */
export async function readOpenWindowsOf(loaded: LoadedConfig): Promise<Map<string, WindowContext>> {
  if (!databaseMayHoldHistory(loaded)) return new Map();
  const store = await openStoreOf(loaded, { readonly: true });
  try {
    return await readOpenWindowContexts(store);
  } finally {
    await store.close();
  }
}
