/** `window start`: record the baseline run and open the window. */
import type { ClusterConfig } from '../config/schema.js';
import { baselineValuesOf, findingsOf } from '../core/window/classify.js';
import { NO_EXPECTATION, versionFormatOf, type Expectation } from '../core/window/expectation.js';
import { windowReadiness } from '../core/window/plan.js';
import { WindowError } from './errors.js';
import { orderFor } from './plan.js';
import { recordRun, type WindowSession } from './session.js';
import { alreadyOpenError, type WindowRecord } from '../store/windows.js';

export interface StartOptions {
  expectation?: Expectation;
  expectationFile?: string;
  name?: string;
  plannedEnd?: string;
  /** Open even though the cluster is not at parity (the open findings are then taken as the starting point). */
  force?: boolean;
}

export async function startWindow(
  session: WindowSession,
  cluster: ClusterConfig,
  options: StartOptions,
): Promise<{ window: WindowRecord; runId: number }> {
  const already = await session.windows.openWindowOf(cluster.name);
  // Refuse before collecting: a second start must not even record a baseline.
  if (already) throw alreadyOpenError(already);
  const openedAt = session.now().toISOString();
  const name = options.name ?? options.expectation?.name ?? `window-${openedAt.slice(0, 16).replace(/[-:T]/g, '')}`;
  const { audit, run } = await recordRun(session, cluster, { window: { name, purpose: 'baseline' } });
  const readiness = windowReadiness(audit.report);
  if (!readiness.ready && !options.force) {
    throw new WindowError(
      'not-ready',
      `cluster ${cluster.name} is not at parity, so no window was opened (baseline run ${run.id} recorded):\n${readiness.blockers.map((b) => `  - ${b}`).join('\n')}\nfix these first, or pass --force to take them as the starting point`,
    );
  }
  const expectation = options.expectation ?? NO_EXPECTATION;
  const reachable = audit.snapshots.find((s) => s.error === undefined);
  const window = await session.windows.openWindow({
    cluster: cluster.name,
    name,
    openedAt,
    plannedEnd: options.plannedEnd ?? null,
    baselineRunId: run.id,
    nodes: orderFor(cluster).map((n) => n.name),
    expectation,
    expectationFile: options.expectationFile ?? null,
    baselineValues: baselineValuesOf(audit.snapshots, expectation),
    baselineFindingIds: findingsOf(audit.report)
      .filter((f) => !f.waived)
      .map((f) => f.id),
    versionFormat: reachable ? versionFormatOf(reachable) : 'deb',
  });
  return { window, runId: run.id };
}
