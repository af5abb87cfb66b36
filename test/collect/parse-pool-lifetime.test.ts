/**
 * The parse pool and the life of the process: a parse in flight keeps the process alive
 * (its caller awaits the result), an idle worker does not, so `driftd collect`/`check`
 * exit as soon as they have printed (they waited for the 5 s idle timer before).
 * Each case runs in its own Node process, the way the CLI does.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const POOL = pathToFileURL(join(import.meta.dirname, '../../src/collect/parse-pool.ts')).href;
const REGISTRY = pathToFileURL(join(import.meta.dirname, '../../src/collectors/registry.ts')).href;
const CONTEXT = pathToFileURL(join(import.meta.dirname, '../../src/collectors/collector.ts')).href;
const dir = mkdtempSync(join(tmpdir(), 'driftd-parse-pool-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const PARSE = `
import { parsePoolState, parseSnapshot, warmParsePool } from ${JSON.stringify(POOL)};
import { collectorsFor } from ${JSON.stringify(REGISTRY)};
import { DEFAULT_COLLECTOR_CONTEXT } from ${JSON.stringify(CONTEXT)};
const results = [
  { id: 'os-release', exitCode: 0, stdout: 'ID=debian\\n', stderr: '', truncated: false, durationMs: 1 },
  { id: 'os-hostname', exitCode: 0, stdout: 'h\\n', stderr: '', truncated: false, durationMs: 1 },
  { id: 'os-arch', exitCode: 0, stdout: 'x86_64\\n', stderr: '', truncated: false, durationMs: 1 },
];
const parse = () => parseSnapshot({ cluster: 'c', node: 'n', takenAt: 't', collectors: collectorsFor(['os']), context: DEFAULT_COLLECTOR_CONTEXT, results });
const ports = () => process.getActiveResourcesInfo().filter((r) => r === 'MessagePort' || r === 'Worker').length;
`;

function runScript(name: string, body: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const file = join(dir, name);
  writeFileSync(file, `${PARSE}\n${body}\n`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', file], {
      cwd: join(import.meta.dirname, '../..'),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (t: string) => (stdout += t));
    child.stderr.on('data', (t: string) => (stderr += t));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('parse pool and process lifetime', () => {
  it('a parse in flight keeps the process alive until its result arrives, with nothing else pending', async () => {
    // Nothing awaits at top level: only the busy worker can keep this process running.
    const run = await runScript(
      'busy.mts',
      `parse().then((snap) => console.log(JSON.stringify({ status: snap.facets.os?.status, workers: parsePoolState().workers })));`,
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ status: 'ok', workers: 1 });
  }, 30_000);

  it('an idle worker holds no reference: once the result is in, nothing of the pool keeps the process alive', async () => {
    const run = await runScript(
      'idle.mts',
      `const before = ports();
const snap = await parse();
await new Promise((resolve) => setImmediate(resolve));
console.log(JSON.stringify({ status: snap.facets.os?.status, workers: parsePoolState().workers, before, after: ports() }));`,
    );
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout) as { status: string; workers: number; before: number; after: number };
    // Parsed in a worker, which is still there (idle, until IDLE_MS) ...
    expect(out).toMatchObject({ status: 'ok', workers: 1 });
    // ... and holds no active handle: no more ports or workers than before the parse.
    expect(out.after).toBe(out.before);
  }, 30_000);

  it('a warmed parser (started before any output arrives) is the one that parses, and keeps nothing alive meanwhile', async () => {
    const run = await runScript(
      'warm.mts',
      `const before = ports();
warmParsePool();
warmParsePool();
const warm = { workers: parsePoolState().workers, ports: ports() };
const snap = await parse();
console.log(JSON.stringify({ before, warm, status: snap.facets.os?.status, workers: parsePoolState().workers }));`,
    );
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout) as { before: number; warm: { workers: number; ports: number }; status: string; workers: number };
    expect(out.warm).toEqual({ workers: 1, ports: out.before });
    expect(out).toMatchObject({ status: 'ok', workers: 1 });
  }, 30_000);
});
