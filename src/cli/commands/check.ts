/**
 * `driftd check`: the pre-window readiness verdict. Exit 0 ready, 1 not ready,
 * 2 could not decide (config or rule error, no node reachable, nothing stored).
 */
import type { CheckReport } from '../../core/check-report.js';
import { renderCheckText } from '../../core/engine/index.js';
import { auditClusters, judge, loadRulesFor } from '../../audit/audit.js';
import { databaseOf } from '../../config/database.js';
import { formatIssue, type LoadedConfig } from '../../config/load.js';
import { readOpenWindowsOf } from '../../window/expected.js';
import type { WindowContext } from '../../core/window/classify.js';
import { failoverStep } from '../../simulate/audit-step.js';
import { loadConfigOrExit } from '../context.js';
import { withStore } from '../with-store.js';
import { CliError, EXIT, type ExitCode } from '../exit-codes.js';
import { pickCluster } from '../select-cluster.js';

export interface CheckFlags {
  config: string;
  cluster?: string;
  json?: boolean;
  stored?: boolean;
  failOn: 'critical' | 'warning';
  verbose?: boolean;
  /** --no-simulate: false; else the config's failover.simulate decides. */
  simulate?: boolean;
  /** --color / --no-color; undefined: colour on a terminal unless NO_COLOR is set. */
  color?: boolean;
}

export async function runCheck(flags: CheckFlags): Promise<ExitCode> {
  const loaded = loadConfigOrExit(flags.config);
  const cluster = pickCluster(loaded.config, flags.cluster);
  const rules = loadRulesFor(loaded);
  if (rules.errors.length > 0) {
    throw new CliError(`rule packs are invalid, so no verdict is given:\n${rules.errors.map(formatIssue).join('\n')}`, EXIT.undecided);
  }
  // During an open maintenance window its declared change directs and marks the verdict, as in the daemon.
  const windows = await openWindowsOrWarn(loaded);
  let report: CheckReport;
  const simulate = flags.simulate === false ? undefined : failoverStep(loaded.config.failover);
  if (flags.stored) {
    report = await withStore(loaded, async (store) => {
      const snapshots = await store.latestSnapshots(cluster.name);
      if (snapshots.length === 0) {
        throw new CliError(
          `nothing stored yet for cluster "${cluster.name}" in ${loaded.config.database}; run \`driftd serve\` first (it stores every run)`,
          EXIT.undecided,
        );
      }
      // The daemon's verdict on the same snapshots: the same failover step, on the stored CIB.
      const failover = await simulate?.({ name: cluster.name, nodes: cluster.nodes.map((n) => n.name) }, snapshots);
      return judge(loaded, rules.rules, cluster, snapshots, new Date(), windows.get(cluster.name), failover);
    });
  } else {
    const [audit] = await auditClusters({
      loaded,
      rules: rules.rules,
      clusters: [cluster],
      now: () => new Date(),
      openWindows: () => windows,
      ...(flags.simulate === false ? { simulate: false } : {}),
    });
    if (!audit) throw new CliError('internal: no audit result', EXIT.internal);
    report = audit.report;
  }
  const verdict = applyFailOn(report, flags.failOn);
  const text = (): string =>
    renderCheckText(verdict, { verbose: flags.verbose === true, color: useColor(flags.color, process.stdout.isTTY, process.env) });
  process.stdout.write(flags.json ? `${JSON.stringify(verdict, null, 2)}\n` : `${text()}\n`);
  if (verdict.nodes.length > 0 && verdict.nodes.every((n) => !n.reachable)) return EXIT.undecided;
  return verdict.ready ? EXIT.ok : EXIT.notReady;
}

/**
 * Colour on a terminal only: an explicit --color/--no-color wins, then NO_COLOR (any
 * non-empty value, no-color.org), then whether stdout is a TTY.
 */
export function useColor(flag: boolean | undefined, isTTY: boolean | undefined, env: NodeJS.ProcessEnv): boolean {
  if (flag !== undefined) return flag;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return isTTY === true;
}

/** `--fail-on warning` makes any unwaived warning (or worse) block the verdict too. */
export function applyFailOn(report: CheckReport, failOn: 'critical' | 'warning'): CheckReport {
  if (failOn === 'critical' || report.summary.warning === 0) return report;
  return { ...report, ready: false };
}

/** The open windows of the history database; one that cannot be read is said on stderr, and nothing is marked. */
async function openWindowsOrWarn(loaded: LoadedConfig): Promise<Map<string, WindowContext>> {
  try {
    return await readOpenWindowsOf(loaded);
  } catch (err) {
    process.stderr.write(
      `driftd: warning: could not read maintenance windows from ${databaseOf(loaded).shown} (${err instanceof Error ? err.message : String(err)}); an open window's expected drift is not marked in this verdict\n`,
    );
    return new Map();
  }
}
