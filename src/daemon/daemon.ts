/**
 * The daemon's lifecycle: one controller that owns the schedule, the runs, the store,
 * the HTTP server and the in-memory view every reader uses. Readers (metrics, API)
 * only ever see a complete view: each run builds a new one and swaps it in.
 */
import { schedule as cronSchedule, type ScheduledTask } from 'node-cron';
import { DatabaseConfigError, databaseOf, openStoreOf } from '../config/database.js';
import { formatIssue, loadConfig, type LoadedConfig } from '../config/load.js';
import { preflight, readTokenFile } from '../config/preflight.js';
import { createHttpServer } from '../http/server.js';
import { createMetrics, type DriftdMetrics } from '../metrics/metrics.js';
import { renderClusterReportHtml } from '../report/index.js';
import { readOpenWindowContexts, readWindowViews } from '../window/views.js';
import type { LoadedRulePacks as LoadedRules } from '../rules/load.js';
import { acquireInstanceLock, type InstanceLock } from '../store/db.js';
import { StoreError, type FindingEpisode, type Store } from '../store/index.js';
import type { Logger } from '../util/logger.js';
import { DRIFTD_VERSION } from '../version.js';
import { auditEachCluster, loadRulesFor, type ClusterAudit } from '../audit/audit.js';
import { clusterViewOf, emptyView, type ClusterView, type DaemonView } from '../view/view.js';
import { findingLogLines } from './finding-log.js';
import type { FleetMembership, RunShare } from '../fleet/membership.js';
import type { PeerClusters } from '../http/deps.js';

export interface DaemonOptions {
  configPath: string;
  logger: Logger;
  now?: () => Date;
  /** How long SIGTERM waits for a running collection before aborting it. */
  stopGraceMs?: number;
  /** HOST:PORT to listen on instead of the config's `listen` (`serve --listen`). */
  listen?: string;
}

const PRUNE_INTERVAL_MS = 24 * 3600 * 1000;

export class DaemonStartError extends Error {
  override readonly name = 'DaemonStartError';
}

export class Daemon {
  private loaded: LoadedConfig;
  private rules: LoadedRules;
  private readonly store: Store;
  private view: DaemonView;
  private task: ScheduledTask | null = null;
  private running: Promise<void> | null = null;
  private abort: AbortController | null = null;
  private stopping = false;
  private readonly now: () => Date;
  private readonly http: ReturnType<typeof createHttpServer>;
  private readonly metrics: DriftdMetrics;
  private listening: { host: string; port: number } | null = null;
  private readonly reportCache = new Map<string, { runId: number; html: string }>();
  private lastPruneAt: number | null = null;
  private token: string | undefined;
  private lock: InstanceLock | null = null;
  /** On PostgreSQL: this instance's share of the clusters (README "Several instances"); null on SQLite. */
  private fleet: FleetMembership | null = null;
  /** A takeover (or an after-grace share) that arrived while a run was in progress: run right after it. */
  private pendingShare: RunShare | null = null;
  /** In a fleet, the first run waits for peers started at the same time (see start). */
  private firstRunTimer: NodeJS.Timeout | null = null;
  /** The clusters of the run in progress (on PostgreSQL): their leases are renewed until it ends, even if a reload removed them. */
  private inFlight: string[] = [];
  /** Cluster views set aside while heartbeats failed (see setAsideAll). */
  private readonly shelved = new Map<string, ClusterView>();

  private constructor(
    private readonly options: DaemonOptions,
    loaded: LoadedConfig,
    rules: LoadedRules,
    store: Store,
    token: string | undefined,
  ) {
    this.loaded = loaded;
    this.rules = rules;
    this.store = store;
    this.token = token;
    this.now = options.now ?? (() => new Date());
    this.view = emptyView(DRIFTD_VERSION, this.now().toISOString());
    this.metrics = createMetrics(() => this.view);
    this.http = createHttpServer({
      getView: () => this.view,
      metrics: this.metrics,
      history: {
        findingEpisodes: (q) => this.store.findingEpisodes(q),
        changes: (q) => this.store.changes(q),
        snapshotOf: (node, at, cluster) => this.store.snapshotOf(node, at, cluster),
        knowsNode: (node) => this.store.knowsNode(node),
      },
      triggerRun: () => this.triggerRun('api'),
      peers: () => this.peerClusters(),
      reportHtml: (cluster) => this.reportHtml(cluster),
      // Asked per request: a SIGHUP that changes http.tokenFile takes effect at once.
      ...(token !== undefined ? { token: () => this.token } : {}),
      logger: options.logger,
    });
  }

  /**
   * Loads and validates everything first (config, schedule, timezone, listen address, rule
   * packs, token file, key files, database directory): a daemon that cannot start says
   * why and exits 2, and leaves nothing listening or open behind it.
   */
  static async start(options: DaemonOptions): Promise<Daemon> {
    const loaded = loadConfig(options.configPath);
    const rules = loadRulesFor(loaded);
    if (rules.errors.length > 0) {
      throw new DaemonStartError(`rule packs are invalid:\n${rules.errors.map(formatIssue).join('\n')}`);
    }
    const issues = preflight(loaded);
    if (issues.length > 0) throw new DaemonStartError(`invalid configuration:\n${issues.map(formatIssue).join('\n')}`);
    const { token } = readTokenFile(loaded);
    const database = databaseOf(loaded);
    let lock: InstanceLock;
    let store: Store;
    try {
      // One daemon per SQLite file: a second serve on the same file is refused here. On
      // PostgreSQL the serve-lock file is not applicable (saveRun serialises writers there).
      lock = database.kind === 'sqlite' ? acquireInstanceLock(database.target) : { file: '', release: () => undefined };
    } catch (err) {
      if (err instanceof StoreError) throw new DaemonStartError(err.message);
      throw err;
    }
    try {
      store = await openStoreOf(loaded, { serve: true });
    } catch (err) {
      lock.release();
      if (err instanceof StoreError || err instanceof DatabaseConfigError) throw new DaemonStartError(err.message);
      throw err;
    }
    const daemon = new Daemon(options, loaded, rules, store, token);
    daemon.lock = lock;
    if (database.kind === 'postgres') {
      try {
        const { joinFleet } = await import('../fleet/join.js');
        daemon.fleet = await joinFleet(database.target, database.postgres, loaded.config.instance, DRIFTD_VERSION, options.logger);
      } catch (err) {
        await store.close();
        throw new DaemonStartError(
          `cannot join the instances sharing ${database.shown} (the lease tables): ${err instanceof Error ? err.message : String(err)}`,
        );
      }
    }
    const [host, port] = splitListen(options.listen ?? loaded.config.listen);
    try {
      daemon.listening = await daemon.http.listen(host, port);
    } catch (err) {
      await daemon.fleet?.leave();
      await store.close();
      lock.release();
      throw new DaemonStartError(listenFailure(err, loaded, host, port, options.listen));
    }
    try {
      daemon.task = daemon.createTask(loaded.config);
    } catch (err) {
      await daemon.http.close();
      await daemon.fleet?.leave();
      await store.close();
      lock.release();
      throw new DaemonStartError(
        `${loaded.file}: cannot schedule "${loaded.config.schedule}": ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    options.logger.info({ listen: daemon.listening, clusters: loaded.config.clusters.map((c) => c.name) }, 'driftd serving');
    daemon.fleet?.startTimers({
      clusters: () => daemon.loaded.config.clusters,
      onTakeover: (share) => daemon.takeOver(share),
      busy: () => daemon.inFlight,
      onHeld: (held) => daemon.dropUnheld(held),
      onLapsing: () => daemon.setAsideAll(),
    });
    if (daemon.fleet) {
      // Instances started together (both hosts rebooted, a rolling restart) must see each
      // other before the first run splits the clusters: otherwise the first one up takes
      // them all and hands them back only after that run. It waits one settle time (the
      // grace a better-ranked peer gets at every tick); the HTTP API answers meanwhile.
      daemon.firstRunTimer = setTimeout(() => {
        daemon.firstRunTimer = null;
        daemon.triggerRun('start');
      }, daemon.fleet.settleMs);
    } else {
      daemon.triggerRun('start');
    }
    return daemon;
  }

  /**
   * Sharing clusters (PostgreSQL): the configured clusters this instance does not audit, read
   * from their latest stored run, so its API shows every cluster. Null on SQLite.
   */
  private peerClusters(): PeerClusters | null {
    const fleet = this.fleet;
    if (!fleet) return null;
    const clusters = this.loaded.config.clusters;
    const own = new Set(this.view.clusters.map((c) => c.name));
    const names = clusters.map((c) => c.name).filter((name) => !own.has(name));
    return {
      self: fleet.id,
      names: () => names,
      latest: async (cluster) => {
        const latest = await this.store.latestReport(cluster);
        if (!latest) return null;
        const { run, report } = latest;
        const instance = run.meta?.['instance'];
        return { report, lastRunAt: run.finishedAt, auditedBy: typeof instance === 'string' ? instance : null };
      },
      clusterOfNode: (node) => clusters.find((c) => !own.has(c.name) && c.nodes.some((n) => n.name === node))?.name,
    };
  }

  get address(): { host: string; port: number } | null {
    return this.listening;
  }

  /**
   * Open windows by cluster, to mark their declared change as expected. An unreadable
   * window table must not cost the run: its findings are stored unmarked, and the error logged.
   */
  private async openWindowContexts(): ReturnType<typeof readOpenWindowContexts> {
    try {
      return await readOpenWindowContexts(this.store);
    } catch (err) {
      this.options.logger.error({ err }, 'maintenance windows could not be read; this run marks no finding as expected');
      return new Map();
    }
  }

  /** The window views for this run; an unreadable window table keeps the previous views, loudly. */
  private async windowViewsOrPrevious(): Promise<DaemonView['windows']> {
    try {
      return await readWindowViews(this.store, this.now());
    } catch (err) {
      this.options.logger.error({ err }, 'maintenance windows could not be read; the previous window view is kept');
      return this.view.windows;
    }
  }

  /**
   * A cron task for this config. Built before the running one is replaced, so a config
   * node-cron refuses leaves the previous schedule running.
   */
  private createTask(config: LoadedConfig['config']): ScheduledTask {
    const log = this.options.logger.child({ component: 'cron' });
    return cronSchedule(
      config.schedule,
      async () => {
        await this.runNow('schedule');
      },
      {
        name: 'driftd-collect',
        noOverlap: true,
        ...(config.timezone ? { timezone: config.timezone } : {}),
        logger: {
          info: (m) => log.info(m),
          warn: (m) => log.warn(m),
          error: (m, e) => log.error({ err: e ?? m }, typeof m === 'string' ? m : m.message),
          debug: (m, e) => log.debug({ err: e }, typeof m === 'string' ? m : m.message),
        },
      },
    );
  }

  /** Starts a run unless one is in progress. The API answers 202 or 409 from this. */
  triggerRun(reason: string): 'started' | 'busy' {
    if (this.running || this.stopping) return 'busy';
    void this.runNow(reason);
    return 'started';
  }

  /** Runs one collection now; resolves when it is stored and the view is swapped. */
  async runNow(reason: string, share?: RunShare): Promise<void> {
    if (this.running) {
      this.options.logger.warn({ reason }, 'a run is still in progress; this one is skipped');
      return;
    }
    this.running = this.execute(reason, share).finally(() => {
      this.running = null;
      this.abort = null;
      const pending = this.pendingShare;
      this.pendingShare = null;
      if (pending && !this.stopping) void this.runNow('takeover', pending);
    });
    return this.running;
  }

  /**
   * Clusters taken over between ticks (their instance died), or taken after a tick's grace
   * (no better-ranked peer took them): audited now, or right after the run in progress.
   */
  private takeOver(share: RunShare): void {
    if (this.stopping) return;
    if (!this.running) {
      void this.runNow('takeover', share);
      return;
    }
    const pending = this.pendingShare;
    this.pendingShare = pending
      ? { plan: { ...pending.plan, now: [...pending.plan.now, ...share.plan.now] }, leases: new Map([...pending.leases, ...share.leases]) }
      : share;
  }

  private async execute(reason: string, given?: RunShare): Promise<void> {
    const log = this.options.logger;
    const started = Date.now();
    this.abort = new AbortController();
    this.view = { ...this.view, runs: { ...this.view.runs, running: true } };
    log.info({ reason }, 'run started');
    let failed = false;
    const loaded = this.loaded;
    const fleet = this.fleet;
    try {
      // On PostgreSQL the instances share the clusters: this run audits the ones whose lease
      // this instance holds or takes now, each stored only under that lease. PostgreSQL
      // unreachable: the run fails and the previous view stays.
      const share = fleet ? (given ?? (await fleet.share(loaded.config.clusters))) : null;
      const clusters = share ? loaded.config.clusters.filter((c) => share.leases.has(c.name)) : loaded.config.clusters;
      this.inFlight = clusters.map((c) => c.name);
      // Read once per run, before the clusters are judged.
      const windows = await this.openWindowContexts();
      // Each cluster is stored and summarised as soon as its own nodes are collected, and
      // its snapshots dropped: the run holds the snapshots of the clusters still in flight.
      const stored = await auditEachCluster(
        {
          loaded,
          rules: this.rules.rules,
          clusters,
          now: this.now,
          signal: this.abort.signal,
          openWindows: () => windows,
          onNodeDone: (target, result) => {
            const snap = result.snapshot;
            if (snap.error !== undefined)
              log.warn({ cluster: target.cluster.name, node: target.node.name, error: snap.error }, 'node unreachable');
            else log.debug({ cluster: target.cluster.name, node: target.node.name, ms: result.durationMs }, 'node collected');
          },
        },
        async (raw) => {
          const audit = raw;
          const lease = share?.leases.get(audit.cluster.name);
          const record = await this.store.saveRun(
            {
              cluster: audit.cluster.name,
              startedAt: audit.startedAt,
              finishedAt: audit.finishedAt,
              snapshots: audit.snapshots,
              report: audit.report,
              // Which instance audited the run, and under which lease (kept under the run's hash).
              ...(fleet && lease ? { meta: { instance: fleet.id, leaseToken: lease.token } } : {}),
            },
            fleet && lease ? { guard: fleet.guard(lease) } : {},
          );
          // The chain cannot prove from inside the file that no newer run was deleted;
          // the journal keeps each head hash outside it, so an auditor can compare.
          log.info({ cluster: audit.cluster.name, runId: record.id, hash: record.hash }, 'run stored');
          logFindings(log, audit, await this.store.findingEpisodes({ cluster: audit.cluster.name, since: audit.startedAt }), record.id);
          return this.clusterView(audit, record.id);
        },
      );
      // Every cluster's save settles before the run is judged; the first failure fails the run.
      const settled = await Promise.allSettled(stored);
      const failure = settled.find((s) => s.status === 'rejected');
      if (failure) throw failure.reason;
      const audited: ClusterView[] = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
      // The snapshots are in the store now; the view keeps a summary of each (see view.ts).
      // Sharing clusters, the view (and so /metrics) holds only this instance's: the ones
      // just audited and those it still holds from earlier runs, so no cluster is exported
      // by two instances.
      if (share && fleet) await fleet.afterRun(share);
      const views = fleet ? this.keepHeld(audited, fleet.held()) : audited;
      this.shelved.clear();
      this.view = { ...this.view, clusters: views, windows: await this.windowViewsOrPrevious(), firstRunCompleted: true };
      // Render the run's metrics now, once, rather than on the first scrape after the swap.
      this.metrics.prepare(this.view);
      await this.pruneIfDue();
    } catch (err) {
      failed = true;
      log.error({ err }, 'run failed; the previous view and stored history are kept');
    } finally {
      this.inFlight = [];
      const seconds = (Date.now() - started) / 1000;
      const runs = this.view.runs;
      this.view = {
        ...this.view,
        runs: {
          total: runs.total + 1,
          failures: runs.failures + (failed ? 1 : 0),
          lastDurationSeconds: seconds,
          lastRunAt: this.now().toISOString(),
          lastSuccessAt: failed ? (runs.lastSuccessAt ?? null) : this.now().toISOString(),
          running: false,
        },
      };
      log.info({ reason, seconds, failed }, 'run finished');
    }
  }

  /**
   * Between runs: a cluster whose lease this instance lost (taken over while it was paused)
   * leaves its view and /metrics at once, so that the instance holding it now is the only
   * one exporting it. Clusters set aside while heartbeats failed come back if the leases
   * were renewed in time after all.
   */
  private dropUnheld(held: ReadonlySet<string>): void {
    const back = [...this.shelved.values()].filter((c) => held.has(c.name));
    this.shelved.clear();
    const lost = this.view.clusters.filter((c) => !held.has(c.name)).map((c) => c.name);
    if (lost.length === 0 && back.length === 0) return;
    const order = new Map(this.loaded.config.clusters.map((c, i) => [c.name, i]));
    const clusters = [...this.view.clusters.filter((c) => held.has(c.name)), ...back].sort(
      (a, b) => (order.get(a.name) ?? 0) - (order.get(b.name) ?? 0),
    );
    this.view = { ...this.view, clusters };
    this.metrics.prepare(this.view);
    if (lost.length > 0) {
      this.options.logger.warn(
        { clusters: lost },
        "leases: these clusters' leases were lost (expired or taken over); they leave this instance's view and /metrics, the instance holding them exports them",
      );
    }
    if (back.length > 0)
      this.options.logger.info({ clusters: back.map((c) => c.name) }, 'leases: renewed in time; these clusters are exported again');
  }

  /**
   * Heartbeats have failed for two thirds of a lease time (PostgreSQL unreachable): every
   * cluster leaves the view and /metrics before its lease can lapse and another instance
   * export it, set aside in case the next heartbeat renews the leases in time.
   */
  private setAsideAll(): void {
    if (this.view.clusters.length === 0) return;
    for (const c of this.view.clusters) this.shelved.set(c.name, c);
    this.options.logger.warn(
      { clusters: this.view.clusters.map((c) => c.name) },
      "leases: no heartbeat succeeded for two thirds of the lease time; these clusters leave this instance's view and /metrics until it renews or retakes their leases",
    );
    this.view = { ...this.view, clusters: [] };
    this.metrics.prepare(this.view);
  }

  /** This instance's clusters after a run: the ones audited, then earlier views of those it still holds. */
  private keepHeld(audited: readonly ClusterView[], held: ReadonlySet<string>): ClusterView[] {
    const fresh = new Set(audited.map((c) => c.name));
    const kept = this.view.clusters.filter((c) => !fresh.has(c.name) && held.has(c.name));
    const order = new Map(this.loaded.config.clusters.map((c, i) => [c.name, i]));
    return [...audited.filter((c) => held.has(c.name)), ...kept].sort((a, b) => (order.get(a.name) ?? 0) - (order.get(b.name) ?? 0));
  }

  private async clusterView(audit: ClusterAudit, runId: number): Promise<ClusterView> {
    const firstSeen: Record<string, string> = {};
    for (const episode of await this.store.findingEpisodes({ cluster: audit.cluster.name, openOnly: true })) {
      firstSeen[episode.findingId] = episode.firstSeen;
    }
    return clusterViewOf({
      name: audit.cluster.name,
      report: audit.report,
      snapshots: audit.snapshots,
      runId,
      lastRunAt: audit.finishedAt,
      firstSeen,
    });
  }

  /**
   * Retention inside the daemon: at most once a day, after a run, thin unchanged
   * snapshots older than retention.keepUnchangedDays. Changes, finding episodes and the
   * evidence chain are kept (the store guarantees it); a failure is logged, not fatal.
   */
  private async pruneIfDue(): Promise<void> {
    const now = this.now();
    if (this.lastPruneAt !== null && now.getTime() - this.lastPruneAt < PRUNE_INTERVAL_MS) return;
    this.lastPruneAt = now.getTime();
    const keepUnchangedDays = this.loaded.config.retention.keepUnchangedDays;
    try {
      const result = await this.store.prune({ keepUnchangedDays, now: now.toISOString() });
      this.options.logger.info({ keepUnchangedDays, ...result }, 'retention: unchanged snapshots thinned');
    } catch (err) {
      this.options.logger.error({ err }, 'retention failed; history is unchanged and the daemon keeps running');
    }
  }

  /**
   * The report re-verifies the whole evidence chain, which grows with history; it only
   * changes when a run is stored, so one rendering per cluster and run is kept.
   */
  private async reportHtml(cluster: string): Promise<string | null> {
    const latest = await this.store.latestRun(cluster);
    if (!latest) return null;
    const cached = this.reportCache.get(cluster);
    if (cached && cached.runId === latest.id) return cached.html;
    const html = await renderClusterReportHtml(this.store, this.loaded, cluster, this.now(), { rules: this.rules });
    if (html !== null) this.reportCache.set(cluster, { runId: latest.id, html });
    return html;
  }

  /**
   * SIGHUP: a new config, rule packs and API token, or the old ones if anything new is
   * invalid. Everything is checked (and the new cron task built) before anything is
   * swapped, so a rejected reload leaves the previous schedule and token in force.
   */
  reload(): boolean {
    const log = this.options.logger;
    const at = this.now().toISOString();
    let newTask: ScheduledTask | null = null;
    try {
      const fresh = loadConfig(this.options.configPath);
      const rules = loadRulesFor(fresh);
      if (rules.errors.length > 0) throw new Error(`rule packs are invalid:\n${rules.errors.map(formatIssue).join('\n')}`);
      const restartNeeded = (['database', 'listen'] as const).filter((k) => fresh.config[k] !== this.loaded.config[k]);
      // database and listen keep their running values until a restart.
      const loaded: LoadedConfig = {
        ...fresh,
        config: { ...fresh.config, database: this.loaded.config.database, listen: this.loaded.config.listen },
      };
      const issues = preflight(loaded);
      if (issues.length > 0) throw new Error(`invalid configuration:\n${issues.map(formatIssue).join('\n')}`);
      const { token } = readTokenFile(loaded);
      if (token === undefined && this.token !== undefined) {
        throw new Error('http.tokenFile was removed: turning API authentication off needs a restart (the token stays in force)');
      }
      if (token !== undefined && this.token === undefined) {
        throw new Error('http.tokenFile was added: turning API authentication on needs a restart');
      }
      const reschedule = loaded.config.schedule !== this.loaded.config.schedule || loaded.config.timezone !== this.loaded.config.timezone;
      if (reschedule) newTask = this.createTask(loaded.config);
      // Nothing can fail past this point: swap everything at once.
      if (restartNeeded.length > 0) {
        log.warn({ keys: restartNeeded }, 'these settings take effect only after a restart; the running values are kept');
      }
      if (newTask) {
        void this.task?.destroy();
        this.task = newTask;
        newTask = null;
      }
      if (token !== this.token) log.info({ tokenFile: loaded.config.http.tokenFile }, 'API token reloaded');
      this.token = token;
      this.loaded = loaded;
      this.rules = rules;
      this.reportCache.clear();
      this.view = { ...this.view, config: { reloadSuccess: true, lastReloadAt: at } };
      log.info({ clusters: loaded.config.clusters.map((c) => c.name), rules: rules.files.length }, 'configuration reloaded');
      this.triggerRun('reload');
      return true;
    } catch (err) {
      void newTask?.destroy();
      this.view = { ...this.view, config: { reloadSuccess: false, lastReloadAt: at } };
      log.error(
        { error: err instanceof Error ? err.message : String(err) },
        'configuration reload rejected; the previous configuration keeps running',
      );
      return false;
    }
  }

  /** SIGTERM/SIGINT: stop scheduling, let the run finish (or abort it at the bound), close. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    const log = this.options.logger;
    if (this.firstRunTimer) clearTimeout(this.firstRunTimer);
    void this.task?.destroy();
    this.task = null;
    if (this.running) {
      const grace = this.options.stopGraceMs ?? 20_000;
      log.info({ graceMs: grace }, 'waiting for the current run to finish');
      const timer = setTimeout(() => {
        log.warn('aborting the current run');
        this.abort?.abort();
      }, grace);
      await this.running.catch(() => undefined);
      clearTimeout(timer);
    }
    await this.http.close();
    // Leases go back at once, so the other instances take these clusters without waiting for expiry.
    await this.fleet?.leave();
    await this.store.close();
    this.lock?.release();
    log.info('driftd stopped');
  }
}

/** The verdict, then the findings opened and resolved by this run (see finding-log.ts). */
function logFindings(log: Logger, audit: ClusterAudit, episodes: readonly FindingEpisode[], runId: number): void {
  for (const line of findingLogLines(audit.report, episodes, runId)) log[line.level](line.fields, line.message);
}

function splitListen(listen: string): [string, number] {
  const idx = listen.lastIndexOf(':');
  const host = listen.slice(0, idx).replace(/^\[|\]$/g, '');
  return [host, Number(listen.slice(idx + 1))];
}

/** A listen failure in words a user can act on (port in use, address not on this machine). */
function listenFailure(err: unknown, loaded: LoadedConfig, host: string, port: number, flag: string | undefined): string {
  const code = err && typeof err === 'object' && 'code' in err ? String((err as NodeJS.ErrnoException).code) : '';
  const pos = loaded.positionOf?.(['listen']) ?? { line: 1, col: 1 };
  const where = flag !== undefined ? `--listen ${flag}` : `${loaded.file}:${pos.line}:${pos.col}: listen ${loaded.config.listen}`;
  switch (code) {
    case 'EADDRINUSE':
      return `${where}: port ${port} on ${host} is already in use (another driftd, or another program: \`ss -ltnp 'sport = :${port}'\`); stop it, or pick another port (\`listen:\` in the config, or \`driftd serve --listen HOST:PORT\`)`;
    case 'EADDRNOTAVAIL':
      return `${where}: ${host} is not an address of this machine; use one it has (e.g. 127.0.0.1)`;
    case 'EACCES':
      return `${where}: not allowed to listen on port ${port} (ports below 1024 need privileges); use a port above 1023`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `${where}: cannot resolve ${host}`;
    default:
      return `${where}: cannot listen (${code || (err instanceof Error ? err.message : String(err))})`;
  }
}
