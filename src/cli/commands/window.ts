/**
 * `driftd window plan|start|verify|finish|status|abort`: the standby-first patching workflow.
 * Exit codes: 0 ready/safe/closed (and `status`, whether a window is open or not), 1 not
 * ready/not safe/still open, 2 undecided (config, rules, no window to verify or finish, a
 * node that cannot be judged), 3 a bug.
 */
import { ConfigError, type LoadedConfig } from '../../config/load.js';
import { WindowStoreError } from '../../store/windows.js';
import {
  abortWindow,
  compiledRulesOf,
  finishWindow,
  loadExpectationFile,
  planWindow,
  renderFinish,
  renderPlan,
  renderStatus,
  renderVerify,
  startWindow,
  verifyNode,
  windowStatus,
  WindowError,
  withReadonlyWindows,
  withSession,
  withWritableWindows,
} from '../../window/index.js';
import { expectationTexts } from '../../window/finish.js';
import { locateResources } from '../../window/resources.js';
import { renderSummary } from '../../core/window/summary.js';
import { loadConfigOrExit } from '../context.js';
import { CliError, EXIT, type ExitCode } from '../exit-codes.js';
import { pickCluster } from '../select-cluster.js';
import { parseTimeArg } from '../time.js';
import { escapeControlLines } from '../../core/text/terminal.js';

export interface ClusterFlags {
  config: string;
  cluster?: string;
  json?: boolean;
}

export interface PlanFlags extends ClusterFlags {
  locate?: boolean;
  simulate?: boolean;
}

export interface StartFlags extends ClusterFlags {
  expect?: string;
  name?: string;
  plannedEnd?: string;
  force?: boolean;
}

export interface VerifyFlags {
  config: string;
  node: string;
  json?: boolean;
}

/** Window errors as CLI errors: nothing to judge is "undecided", a refused start is "not ready". */
async function guarded(run: () => Promise<ExitCode>): Promise<ExitCode> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof WindowError) throw new CliError(err.message, err.code === 'not-ready' ? EXIT.notReady : EXIT.undecided);
    if (err instanceof WindowStoreError) throw new CliError(err.message, err.code === 'already-open' ? EXIT.notReady : EXIT.undecided);
    if (err instanceof ConfigError) throw new CliError(`invalid expectation file:\n${err.message}`, EXIT.undecided);
    throw err;
  }
}

function print(flags: { json?: boolean }, json: unknown, text: string): void {
  process.stdout.write(flags.json ? `${JSON.stringify(json, null, 2)}\n` : `${escapeControlLines(text)}\n`);
}

export function runPlan(flags: PlanFlags): Promise<ExitCode> {
  return guarded(async () => {
    const loaded = loadConfigOrExit(flags.config);
    const cluster = pickCluster(loaded.config, flags.cluster);
    const rules = compiledRulesOf(loaded);
    const open = await withReadonlyWindows(loaded, async (windows) => (await windows?.openWindowOf(cluster.name)) ?? null);
    const location = flags.locate ? await locateResources(loaded, cluster) : null;
    const plan = await planWindow({ loaded, rules, now }, cluster, open, location, flags.simulate ? {} : null);
    const { report: _report, ...rest } = plan;
    print(flags, rest, renderPlan(plan));
    if (plan.report.nodes.length > 0 && plan.report.nodes.every((n) => !n.reachable)) return EXIT.undecided;
    return plan.readiness.ready ? EXIT.ok : EXIT.notReady;
  });
}

export function runStart(flags: StartFlags): Promise<ExitCode> {
  return guarded(async () => {
    const loaded = loadConfigOrExit(flags.config);
    const cluster = pickCluster(loaded.config, flags.cluster);
    const expectation = flags.expect ? loadExpectationFile(flags.expect) : undefined;
    const plannedEnd = flags.plannedEnd ? plannedEndOf(flags.plannedEnd) : undefined;
    const { window, runId } = await withSession(loaded, now, (s) =>
      startWindow(s, cluster, {
        ...(expectation ? { expectation } : {}),
        ...(flags.expect ? { expectationFile: flags.expect } : {}),
        ...(flags.name ? { name: flags.name } : {}),
        ...(plannedEnd ? { plannedEnd } : {}),
        ...(flags.force ? { force: true } : {}),
      }),
    );
    const text = [
      `window "${window.name}" OPEN on ${window.cluster} (id ${window.id}), baseline run ${runId}${window.plannedEnd ? `, planned end ${window.plannedEnd}` : ''}`,
      `expectation: ${expectationTexts(window.expectation).join(', ') || '(none declared: any change will count as unexpected)'}`,
      `patch in this order, verifying each: ${window.nodes.join(' -> ')}`,
      `after each node: driftd window verify --config ${loaded.file} --node NODE`,
    ].join('\n');
    print(flags, { window, baselineRunId: runId }, text);
    return EXIT.ok;
  });
}

/** An age (`2h`) means "in 2 h" here, unlike --since; an ISO time is taken as written. */
function plannedEndOf(text: string): string {
  const at = now();
  if (/^\d+[smhdw]$/.test(text.trim())) {
    const back = parseTimeArg(text, at, '--planned-end');
    return new Date(2 * at.getTime() - Date.parse(back)).toISOString();
  }
  return parseTimeArg(text, at, '--planned-end');
}

export function runVerifyNode(flags: VerifyFlags): Promise<ExitCode> {
  return guarded(async () => {
    const loaded = loadConfigOrExit(flags.config);
    const result = await withSession(loaded, now, (s) => verifyNode(s, flags.node));
    print(
      flags,
      { window: { id: result.window.id, name: result.window.name }, runId: result.runId, at: result.at, ...result.evaluation },
      renderVerify(result),
    );
    return { safe: EXIT.ok, 'not-safe': EXIT.notReady, undecided: EXIT.undecided }[result.evaluation.verdict];
  });
}

export function runFinish(flags: ClusterFlags): Promise<ExitCode> {
  return guarded(async () => {
    const loaded = loadConfigOrExit(flags.config);
    const cluster = pickCluster(loaded.config, flags.cluster);
    const result = await withSession(loaded, now, (s) => finishWindow(s, cluster));
    print(
      flags,
      { closed: result.summary !== null, runId: result.runId, verdict: result.verdict, summary: result.summary, nodes: result.evaluations },
      renderFinish(result),
    );
    return result.summary ? EXIT.ok : EXIT.notReady;
  });
}

export function runAbort(flags: ClusterFlags & { reason: string }): Promise<ExitCode> {
  return guarded(async () => {
    const loaded = loadConfigOrExit(flags.config);
    const cluster = pickCluster(loaded.config, flags.cluster);
    if (flags.reason.trim() === '') throw new CliError('--reason must say why the window is abandoned', EXIT.undecided);
    const summary = await withWritableWindows(loaded, (windows) => abortWindow(windows, cluster, flags.reason.trim(), now()));
    print(flags, summary, renderSummary(summary));
    return EXIT.ok;
  });
}

export function runStatus(flags: ClusterFlags): Promise<ExitCode> {
  return guarded(async () => {
    const loaded: LoadedConfig = loadConfigOrExit(flags.config);
    const cluster = pickCluster(loaded.config, flags.cluster);
    const status = await withReadonlyWindows(loaded, async (windows) =>
      windows && (await windows.openWindowOf(cluster.name)) ? windowStatus(windows, cluster) : null,
    );
    if (status === null) {
      // "No window open" is an answer, not a failure: status exits 0 either way.
      const text = `no open window on cluster ${cluster.name}; open one with \`driftd window start --cluster ${cluster.name}\``;
      print(flags, { cluster: cluster.name, window: null, latest: {}, pendingNodes: [] }, text);
      return EXIT.ok;
    }
    print(flags, status, renderStatus(status, now()));
    return EXIT.ok;
  });
}

function now(): Date {
  return new Date();
}
