/**
 * The CLI as users run it: `tsc -p tsconfig.build.json` compiled JavaScript, started by
 * plain `node` (no tsx). Built once per bench run into a temporary folder and removed
 * afterwards.
 *
 * The working tree is built into `<repo>/.bench-dist-<pid>/`: one level below the
 * repository, like `dist/`, so the built code finds `rules/`, `package.json` and
 * `node_modules` where it does after `npm run build`. A baseline revision
 * (`--baseline <git rev>`) is exported with `git archive` into a temp dir that gets a
 * `node_modules` link to this checkout's, and built there, so before and after are
 * measured in the same run on the same machine state.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const REPO_ROOT = join(import.meta.dirname, '..');

export interface BuiltCli {
  /** What it was built from: `working tree` or the revision given. */
  label: string;
  /** The executable: `node <bin> ...` */
  bin: string;
  /** Removes what was built; idempotent. */
  remove(): void;
}

const built = new Set<BuiltCli>();

function tsc(cwd: string, outDir: string): void {
  const compiler = join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  execFileSync(process.execPath, [compiler, '-p', 'tsconfig.build.json', '--outDir', outDir], { cwd, stdio: 'inherit' });
}

function track(cli: Omit<BuiltCli, 'remove'>, dir: string): BuiltCli {
  const entry: BuiltCli = {
    ...cli,
    remove: () => {
      built.delete(entry);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  built.add(entry);
  return entry;
}

/** The working tree, compiled as `npm run build` does (uncommitted changes included). */
export function buildWorkingTree(): BuiltCli {
  const dir = join(REPO_ROOT, `.bench-dist-${process.pid}`);
  const cli = track({ label: 'working tree', bin: join(dir, 'cli', 'bin.js') }, dir);
  try {
    tsc(REPO_ROOT, dir);
  } catch (error) {
    cli.remove();
    throw error;
  }
  return cli;
}

/** A committed revision (e.g. `main`, `HEAD~3`), compiled the same way, for a before/after in one run. */
export function buildRevision(rev: string): BuiltCli {
  const commit = execFileSync('git', ['rev-parse', '--verify', `${rev}^{commit}`], { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
  const dir = mkdtempSync(join(tmpdir(), 'driftd-bench-baseline-'));
  const label = commit.startsWith(rev) ? commit.slice(0, 10) : `${rev} (${commit.slice(0, 10)})`;
  const cli = track({ label, bin: join(dir, 'dist', 'cli', 'bin.js') }, dir);
  try {
    const archive = execFileSync('git', ['archive', '--format=tar', commit], { cwd: REPO_ROOT, maxBuffer: 512 * 2 ** 20 });
    execFileSync('tar', ['-x', '-C', dir], { input: archive });
    symlinkSync(realpathSync(join(REPO_ROOT, 'node_modules')), join(dir, 'node_modules'), 'dir');
    tsc(dir, join(dir, 'dist'));
  } catch (error) {
    cli.remove();
    throw error;
  }
  return cli;
}

/** Removes every build still present (finally blocks and signal handlers). */
export function removeBuilds(): void {
  for (const cli of [...built]) cli.remove();
}
