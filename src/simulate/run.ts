/**
 * Runs Pacemaker's own scheduler on a collected CIB, read-only, on the audit host:
 * `crm_simulate --xml-file <tmp>/cib.xml --node-fail NODE --simulate --output-as=xml`.
 *
 * The CIB goes to a private temporary directory (mode 0700) that is removed afterwards;
 * crm_simulate's own working copy (a "shadow" file it writes beside the live CIB by
 * default) is pointed there too with CIB_shadow_dir, so nothing is written anywhere else
 * and no cluster node is touched. The environment is reduced to PATH and the C locale, so
 * a CIB_file or CIB_shadow set by the caller cannot redirect it to a live CIB.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { SimulationOutcome } from '../core/simulate/model.js';
import { parseSimulation } from './parse-output.js';

export const DEFAULT_CRM_SIMULATE_PATHS = ['/usr/sbin/crm_simulate', '/usr/bin/crm_simulate', '/usr/local/sbin/crm_simulate'];
const DEFAULT_TIMEOUT_MS = 60_000;
const MAX_OUTPUT = 64 * 1024 * 1024;

export type SimulationRun =
  { ok: true; outcome: SimulationOutcome; scheduler: string } | { ok: false; kind: 'not-installed' | 'failed'; reason: string };

/** The crm_simulate to run: the one named (DRIFTD_CRM_SIMULATE or --crm-simulate), else the first installed. */
export function findCrmSimulate(named: string | undefined): string | undefined {
  const candidates = named !== undefined && named !== '' ? [named] : DEFAULT_CRM_SIMULATE_PATHS;
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not this one
    }
  }
  return undefined;
}

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
  error?: string;
}

function run(binary: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<Ran> {
  return new Promise((resolve) => {
    const options = { env, timeout: timeoutMs, killSignal: 'SIGKILL' as const, maxBuffer: MAX_OUTPUT, encoding: 'utf8' as const };
    execFile(binary, args, options, (error, stdout, stderr) => {
      if (!error) return resolve({ code: 0, stdout, stderr });
      const e = error as NodeJS.ErrnoException & { code?: number | string; killed?: boolean };
      const timedOut = e.killed === true;
      resolve({
        code: typeof e.code === 'number' ? e.code : null,
        stdout,
        stderr,
        ...(timedOut ? { error: `timed out after ${timeoutMs / 1000}s` } : typeof e.code === 'string' ? { error: e.message } : {}),
      });
    });
  });
}

function firstLines(text: string, n: number): string {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .slice(0, n)
    .join(' / ');
}

const versions = new Map<string, Promise<string | undefined>>();

/** `Pacemaker 2.1.5` from `crm_simulate --version` (asked once per binary), or undefined. */
export function schedulerVersion(binary: string): Promise<string | undefined> {
  let version = versions.get(binary);
  if (!version) {
    version = run(binary, ['--version'], { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C' }).then(
      (ran) => /Pacemaker\s+\S+/.exec(ran.stdout)?.[0],
    );
    versions.set(binary, version);
  }
  return version;
}

/** One crm_simulate at a time in this process: the daemon's clusters, whatever finishes first. */
let queue: Promise<unknown> = Promise.resolve();

function oneAtATime<T>(job: () => Promise<T>): Promise<T> {
  const next = queue.then(job, job);
  queue = next.catch(() => undefined);
  return next;
}

export interface RunOptions {
  crmSimulate?: string;
  /** Bound on the run; over it the process is killed (default 60 s). */
  timeoutMs?: number;
}

/** Simulates `failNode` failing (crm_simulate --node-fail) on `cibXml`; never throws. */
export function simulateNodeFailure(cibXml: string, failNode: string, options: RunOptions = {}): Promise<SimulationRun> {
  return oneAtATime(() => simulateNow(cibXml, failNode, options)).catch((err: unknown): SimulationRun => ({
    ok: false,
    kind: 'failed',
    reason: `crm_simulate could not be run: ${err instanceof Error ? err.message : String(err)}`,
  }));
}

async function simulateNow(cibXml: string, failNode: string, options: RunOptions): Promise<SimulationRun> {
  const binary = findCrmSimulate(options.crmSimulate ?? process.env.DRIFTD_CRM_SIMULATE);
  if (binary === undefined) {
    const where = options.crmSimulate ?? process.env.DRIFTD_CRM_SIMULATE ?? DEFAULT_CRM_SIMULATE_PATHS.join(', ');
    return {
      ok: false,
      kind: 'not-installed',
      reason: `crm_simulate is not installed on this host (looked for ${where}); install Pacemaker's command-line tools here, on the audit host (Debian: apt-get install pacemaker-cli-utils; RHEL: dnf install pacemaker-cli). driftd does not run it on a cluster node: crm_simulate writes a copy of the CIB to a shadow file there even with --xml-pipe or --live-check`,
    };
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'driftd-simulate-'));
  try {
    const file = path.join(dir, 'cib.xml');
    writeFileSync(file, cibXml, { mode: 0o600 });
    const env = { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C', HOME: dir, CIB_shadow_dir: dir };
    const args = ['--xml-file', file, '--node-fail', failNode, '--simulate', '--output-as=xml'];
    const ran = await run(binary, args, env, options.timeoutMs);
    const version = (await schedulerVersion(binary)) ?? 'Pacemaker (version unknown)';
    if (ran.error !== undefined) return { ok: false, kind: 'failed', reason: `${binary} ${ran.error}` };
    const parsed = parseSimulation(ran.stdout);
    if (!parsed.ok) {
      const stderr = firstLines(ran.stderr, 3);
      return {
        ok: false,
        kind: 'failed',
        reason: `${binary} (${version}) exited ${ran.code ?? '?'}: ${parsed.error}${stderr ? `; stderr: ${stderr}` : ''}`,
      };
    }
    return { ok: true, outcome: parsed.outcome, scheduler: version };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
