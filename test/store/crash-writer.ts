/**
 * Child process for crash.test.ts: writes runs (and now and then prunes) in a loop on
 * the given database and prints `begin <n>` before each saveRun and `committed <run id>` after it returns. The
 * parent kills it with SIGKILL at random moments. Hand-made data.
 */
import { Store } from '../../src/store/index.js';
import { BASE_PACKAGES, finding, runInput } from './handmade-runs.js';

const [path, seedText] = process.argv.slice(2);
if (!path) throw new Error('usage: crash-writer.ts <database> [seed]');
let seed = Number(seedText ?? '1') || 1;
function random(): number {
  // xorshift: reproducible per seed, no dependency.
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 4_294_967_296;
}

const store = await Store.open(path);
const big = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`pkg-${i}`, `${i}.0`]));
let at = Date.parse((await store.latestRun('erp'))?.startedAt ?? '2026-11-01T00:00:00.000Z');
for (let i = 0; ; i += 1) {
  at += 60_000;
  const packagesB = random() < 0.5 ? { ...big, [`pkg-${Math.floor(random() * 300)}`]: `x${i}` } : big;
  const findings = random() < 0.3 ? [finding(`mismatch:packages:p${Math.floor(random() * 3)}`, { 'erp-a': '1', 'erp-b': String(i) })] : [];
  // The parent aims its SIGKILL just after this line, i.e. inside the write.
  process.stdout.write(`begin ${i}\n`);
  const run = await store.saveRun(
    runInput(
      new Date(at).toISOString(),
      { 'erp-a': { packages: big }, 'erp-b': { packages: packagesB }, 'erp-c': { packages: BASE_PACKAGES } },
      findings,
    ),
  );
  process.stdout.write(`committed ${run.id}\n`);
  if (i % 7 === 6) await store.prune({ keepUnchangedDays: 0, now: new Date(at).toISOString() });
}
