/**
 * Parsing in worker threads, so a heavy or hostile node's output never stalls the event
 * loop (the daemon keeps answering /healthz, /metrics and the API) and never delays the
 * other nodes' collection past their timeouts. Each job is bounded:
 *
 * - memory: a worker's heap is capped (PARSE_HEAP_MB); a node whose output blows it
 *   gets its facets as `error` ("ran out of memory"), the worker is replaced;
 * - time: a parse that takes longer than PARSE_TIMEOUT_MS is stopped the same way;
 * - lifetime: workers exit when idle (IDLE_MS), so what a run's parsing allocated is
 *   released after the run; an idle worker never keeps the process alive (unref), so a
 *   CLI command exits as soon as its work is done.
 *
 * If workers cannot start at all, parsing falls back to the calling thread (same result).
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { collectorByName } from '../collectors/registry.js';
import type { Collector } from '../collectors/collector.js';
import type { FacetSnapshot, NodeSnapshot } from '../core/snapshot.js';
import { assembleSnapshot, type AssembleInput } from './assemble.js';
import { capSnapshot } from './limits.js';
import type { ParseJob } from './parse-worker.js';

export const PARSE_HEAP_MB = 768;
export const PARSE_TIMEOUT_MS = 60_000;
const IDLE_MS = 5_000;
const POOL_SIZE = Math.max(1, Math.min(2, availableParallelism() - 1));

interface Pending {
  job: ParseJob;
  collectors: readonly Collector[];
  resolve: (snapshot: NodeSnapshot) => void;
}

interface Slot {
  worker: Worker;
  ready: Promise<boolean>;
  busy: Pending | null;
  timer: NodeJS.Timeout | null;
  idle: NodeJS.Timeout | null;
}

let nextId = 1;
const queue: Pending[] = [];
const slots = new Set<Slot>();
let workersBroken = false;

/** The worker's code: the built .js next to this file, or the .ts source through tsx. */
function spawnWorker(): Worker {
  const self = import.meta.url;
  const resourceLimits = { maxOldGenerationSizeMb: PARSE_HEAP_MB };
  if (self.endsWith('.ts')) {
    const entry = new URL('./parse-worker.ts', self).href;
    const tsx = import.meta.resolve('tsx/esm/api');
    const code = `import(${JSON.stringify(tsx)}).then((api) => api.register()).then(() => import(${JSON.stringify(entry)}));`;
    return new Worker(code, { eval: true, resourceLimits });
  }
  return new Worker(new URL('./parse-worker.js', self), { resourceLimits });
}

function startSlot(): Slot {
  const worker = spawnWorker();
  let markReady: (ok: boolean) => void = () => undefined;
  const slot: Slot = { worker, ready: new Promise((resolve) => (markReady = resolve)), busy: null, timer: null, idle: null };
  worker.on('message', (message: { ready?: true; id?: number; snapshot?: NodeSnapshot; error?: string }) => {
    if (message.ready) {
      started = true;
      markReady(true);
      return;
    }
    const pending = slot.busy;
    if (!pending || message.id !== pending.job.id) return;
    settleSlot(slot);
    pending.resolve(message.snapshot ?? failedSnapshot(pending, `parser failed: ${message.error ?? 'unknown error'}`));
    pump();
  });
  let started = false;
  worker.on('error', (err: Error & { code?: string }) => {
    markReady(false);
    const pending = slot.busy;
    retire(slot);
    if (pending && !started) {
      // The worker could not even load: parse on this thread from now on.
      workersBroken = true;
      pending.resolve(inline(pending));
    } else if (pending) {
      const reason =
        err.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? `parsing ran out of memory (cap ${PARSE_HEAP_MB} MB per parser); the node's output is too large or hostile`
          : `parser failed: ${err.message}`;
      pending.resolve(failedSnapshot(pending, reason));
    }
    pump();
  });
  worker.on('exit', () => {
    markReady(false);
    const pending = slot.busy;
    retire(slot);
    if (pending) pending.resolve(failedSnapshot(pending, 'parser exited unexpectedly'));
    pump();
  });
  // Only a busy worker keeps the process alive (assign refs it, settleSlot unrefs it).
  // After the listeners: adding a 'message' listener refs the worker's port again, and a
  // referenced idle port kept `driftd collect`/`check` alive until the idle timer (5 s).
  worker.unref();
  slots.add(slot);
  return slot;
}

function settleSlot(slot: Slot): void {
  slot.busy = null;
  slot.worker.unref();
  if (slot.timer) clearTimeout(slot.timer);
  slot.timer = null;
  slot.idle = setTimeout(() => {
    retire(slot);
    void slot.worker.terminate();
  }, IDLE_MS);
  slot.idle.unref();
}

function retire(slot: Slot): void {
  slot.worker.unref();
  if (slot.timer) clearTimeout(slot.timer);
  if (slot.idle) clearTimeout(slot.idle);
  slot.busy = null;
  slots.delete(slot);
}

function pump(): void {
  while (queue.length > 0) {
    let slot = [...slots].find((s) => s.busy === null);
    if (!slot) {
      if (slots.size >= POOL_SIZE) return;
      slot = startSlot();
    }
    const pending = queue.shift() as Pending;
    assign(slot, pending);
  }
}

function assign(slot: Slot, pending: Pending): void {
  slot.busy = pending;
  // A parse in flight keeps the process alive: the caller awaits its result.
  slot.worker.ref();
  if (slot.idle) clearTimeout(slot.idle);
  slot.idle = null;
  void slot.ready.then((ok) => {
    if (slot.busy !== pending) return;
    if (!ok) {
      // Workers cannot run here: parse on this thread from now on.
      workersBroken = true;
      retire(slot);
      pending.resolve(inline(pending));
      pump();
      return;
    }
    slot.timer = setTimeout(() => {
      retire(slot);
      void slot.worker.terminate();
      pending.resolve(
        failedSnapshot(pending, `parsing took longer than ${PARSE_TIMEOUT_MS / 1000} s (the node's output is too large or hostile)`),
      );
      pump();
    }, PARSE_TIMEOUT_MS);
    slot.timer.unref();
    slot.worker.postMessage(pending.job);
  });
}

function inline(pending: Pending): NodeSnapshot {
  return capSnapshot(assembleSnapshot({ ...pending.job.input, collectors: pending.collectors }));
}

/** Every facet of the node as `error` with the reason: nothing of it could be read. */
function failedSnapshot(pending: Pending, reason: string): NodeSnapshot {
  const { cluster, node, takenAt } = pending.job.input;
  const facets: NodeSnapshot['facets'] = {};
  for (const collector of pending.collectors) {
    const facet: FacetSnapshot = { status: 'error', items: {}, error: reason };
    facets[collector.name] = facet;
  }
  return { cluster, node, takenAt, facets };
}

/**
 * Starts a parser before the first output arrives, so its start-up (a thread, the
 * collectors' modules) overlaps the nodes' round trips instead of following them.
 * Idle, it keeps nothing alive and exits after IDLE_MS like any idle worker.
 */
export function warmParsePool(): void {
  if (workersBroken || slots.size > 0) return;
  settleSlot(startSlot());
}

/**
 * Parses in a worker when the collectors are the registered ones (a worker can only
 * name them), else on this thread. Never rejects.
 */
export function parseSnapshot(input: AssembleInput, options: { inline?: boolean } = {}): Promise<NodeSnapshot> {
  const registered = input.collectors.every((c) => collectorByName(c.name) === c);
  const job: ParseJob = {
    id: nextId++,
    input: {
      cluster: input.cluster,
      node: input.node,
      takenAt: input.takenAt,
      context: input.context,
      results: input.results,
      facets: input.collectors.map((c) => c.name),
    },
  };
  const pending: Omit<Pending, 'resolve'> = { job, collectors: input.collectors };
  if (options.inline || workersBroken || !registered) return Promise.resolve(inline({ ...pending, resolve: () => undefined }));
  return new Promise((resolve) => {
    queue.push({ ...pending, resolve });
    pump();
  });
}

/** For tests and diagnostics: live workers, and whether parsing fell back to this thread. */
export function parsePoolState(): { workers: number; inlineFallback: boolean } {
  return { workers: slots.size, inlineFallback: workersBroken };
}
