/**
 * Worker thread entry: parses one node's raw command outputs into a snapshot, off the
 * daemon's event loop (issue #22: a hostile node's output kept /healthz from answering
 * for 45 s while it was parsed on the main thread). See parse-pool.ts.
 */
import { parentPort } from 'node:worker_threads';
import { collectorsFor } from '../collectors/registry.js';
import type { FacetName } from '../core/snapshot.js';
import { assembleSnapshot, type AssembleInput } from './assemble.js';
import { capSnapshot } from './limits.js';

export interface ParseJob {
  id: number;
  input: Omit<AssembleInput, 'collectors'> & { facets: FacetName[] };
}

parentPort?.on('message', (job: ParseJob) => {
  try {
    const snapshot = capSnapshot(assembleSnapshot({ ...job.input, collectors: collectorsFor(job.input.facets) }));
    parentPort?.postMessage({ id: job.id, snapshot });
  } catch (err) {
    parentPort?.postMessage({ id: job.id, error: err instanceof Error ? err.message : String(err) });
  }
});
parentPort?.postMessage({ ready: true });
