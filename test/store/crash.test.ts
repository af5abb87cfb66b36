/**
 * Crash safety on a real file: a child writes runs in a loop and is killed with
 * SIGKILL at random moments, 50 times on the same database. After each kill the file
 * must pass integrity_check, the evidence chain must verify, and every run the child
 * reported committed must be there.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Store } from '../../src/store/index.js';
import { tempDir } from './handmade-runs.js';

const KILLS = 50;
const REPO = fileURLToPath(new URL('../..', import.meta.url));
/**
 * The writer runs as plain JavaScript: `node --import tsx` costs 1-2 s of start-up per
 * life on a loaded machine, 50 lives would blow the time budget. The files are
 * transpiled (no type check, tsc covers that) under node_modules/.cache so that
 * `better-sqlite3` resolves from the repository's node_modules.
 */
const BUILD = join(REPO, 'node_modules', '.cache', `driftd-crash-writer-${process.pid}`);
const WRITER = join(BUILD, 'test', 'store', 'crash-writer.js');
const dir = tempDir();

function transpileWriter(): void {
  const sources = [
    ...['src/core', 'src/store'].flatMap((d) =>
      readdirSync(join(REPO, d), { recursive: true, encoding: 'utf8' })
        .filter((f) => f.endsWith('.ts'))
        .map((f) => join(REPO, d, f)),
    ),
    join(REPO, 'test/store/crash-writer.ts'),
    join(REPO, 'test/store/handmade-runs.ts'),
  ];
  for (const source of sources) {
    const out = join(BUILD, relative(REPO, source)).replace(/\.ts$/, '.js');
    mkdirSync(dirname(out), { recursive: true });
    const { outputText } = ts.transpileModule(readFileSync(source, 'utf8'), {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
      fileName: source,
    });
    writeFileSync(out, outputText);
  }
  writeFileSync(join(BUILD, 'package.json'), '{"type":"module"}');
}

beforeAll(transpileWriter);
afterAll(() => {
  dir.cleanup();
  rmSync(BUILD, { recursive: true, force: true });
});

interface Life {
  committed: number[];
  /** The last line was `begin`: killed between starting a write and reporting it. */
  diedWriting: boolean;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/** Runs the writer once; kills it `delayMs` after it begins its second write (or after spawn when `early`). */
function liveAndDie(path: string, seed: number, delayMs: number, early: boolean): Promise<Life> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WRITER, path, String(seed)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const life: Life = { committed: [], diedWriting: false, signal: null, stderr: '' };
    let buffer = '';
    let timer: NodeJS.Timeout | undefined;
    const kill = () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    };
    // Safety net: never leave a writer behind, even if it never commits.
    const guard = setTimeout(kill, 15_000);
    if (early) timer = setTimeout(kill, delayMs);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      buffer += chunk;
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) {
        const match = /^committed (\d+)$/.exec(line);
        if (match) life.committed.push(Number(match[1]));
        life.diedWriting = line.startsWith('begin ');
        // Aim at the write after the first commit: most of saveRun is inside its transaction.
        if (!timer && life.diedWriting && life.committed.length > 0) timer = setTimeout(kill, delayMs);
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => (life.stderr += chunk));
    child.on('error', reject);
    child.on('close', (_code, signal) => {
      clearTimeout(guard);
      if (timer) clearTimeout(timer);
      life.signal = signal;
      resolve(life);
    });
  });
}

function integrity(path: string): string {
  const db = new Database(path);
  try {
    return (db.pragma('integrity_check') as { integrity_check: string }[]).map((r) => r.integrity_check).join('; ');
  } finally {
    db.close();
  }
}

describe('crash safety', () => {
  it(`survives ${KILLS} SIGKILLs mid-write on the same file`, { timeout: 120_000 }, async () => {
    const path = join(dir.dir, 'crash.db');
    const reported = new Set<number>();
    let killedBeforeFirstCommit = 0;
    let killedWriting = 0;
    const started = Date.now();
    const phases = { life: 0, check: 0 };
    for (let i = 0; i < KILLS; i += 1) {
      // Every fifth life dies early, possibly while opening or migrating.
      const early = i % 5 === 0;
      const lifeStart = Date.now();
      const life = await liveAndDie(path, i + 1, early ? 150 + Math.random() * 400 : Math.random() * 30, early);
      expect(life.signal, `writer ${i} ended without being killed: ${life.stderr}`).toBe('SIGKILL');
      if (life.committed.length === 0) killedBeforeFirstCommit += 1;
      if (life.diedWriting) killedWriting += 1;
      for (const id of life.committed) reported.add(id);

      phases.life += Date.now() - lifeStart;
      const checkStart = Date.now();
      expect(integrity(path)).toBe('ok');
      const store = await Store.open(path);
      try {
        expect(await store.verifyChain()).toMatchObject({ ok: true });
        const stored = new Set((await store.runs({})).map((r) => r.id));
        const missing = [...reported].filter((id) => !stored.has(id));
        expect(missing, `after kill ${i}`).toEqual([]);
      } finally {
        await store.close();
      }
      phases.check += Date.now() - checkStart;
    }
    console.info(`crash test phases (ms): ${JSON.stringify(phases)}`);
    // The test means something only if most lives were killed while writing.
    expect(KILLS - killedBeforeFirstCommit).toBeGreaterThanOrEqual(KILLS * 0.7);
    expect(reported.size).toBeGreaterThanOrEqual(KILLS * 0.7);
    expect(killedWriting).toBeGreaterThanOrEqual(KILLS / 2);
    console.info(
      `crash test: ${KILLS} kills, ${reported.size} runs reported committed, ${killedBeforeFirstCommit} lives killed before their first commit, ${killedWriting} killed between begin and commit, ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
  });
});
